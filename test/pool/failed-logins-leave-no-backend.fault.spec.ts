import { CredentialSourceError, type CredentialProvider, type Credentials, DbService } from '../../src/index.js';
import { startTestPostgres, type TestPostgres } from '../../src/testing/index.js';
import { attemptsAllowed } from '../support/backoff.js';
import { captureNestLog } from '../support/captured-log.js';
import { eventually, sleep } from '../support/load.js';
import { SwitchableProvider } from '../support/providers.js';
import { createTestRole, newPassword, type TestRole } from '../support/roles.js';
import { ServerView } from '../support/server-view.js';

/**
 * Issue 19, defect 1: a login that fails or is abandoned must close its socket. Otherwise the
 * server keeps the backend in state 'starting' (no user yet) until authentication_timeout (1 min):
 * outside maxOpenConnections, outside stats(), past app.close(). Every check here reads
 * pg_stat_activity, not the pool's own counts.
 */
let server: TestPostgres;
beforeAll(async () => {
  server = await startTestPostgres();
});
afterAll(() => server.stop());

let view: ServerView | undefined;
afterEach(() => view?.close());

describe('issue 19 defect 1: failed logins leave no backend on the server', () => {
  it('alternating-users rotation with maxOpenConnections 1 and 5 checkouts waiting: all 5 succeed as the new user; no backend of either user, nor one still authenticating, after the rotation or after shutdown', async () => {
    const user = await createTestRole(server, 'alt');
    const clone = await createTestRole(server, 'alt_clone');
    view = await ServerView.open(server, [user.username, clone.username]);
    const provider = new SwitchableProvider(user.username, user.password);
    const db = await DbService.create({
      dsn: user.bareDsn,
      credentialProvider: provider,
      maxOpenConnections: 1,
      maxIdleConnections: 1,
    });

    // The one connection is held while 5 checkouts queue up behind it in the old user's time.
    let giveBack!: () => void;
    const held = db.withClient(async (client) => {
      await new Promise<void>((resolve) => (giveBack = resolve));
      return client.query<{ user: string }>('SELECT current_user AS user');
    });
    await eventually('the only connection lent out', () => db.stats().inUse === 1);
    const waiting = Array.from({ length: 5 }, () => db.query<{ user: string }>('SELECT current_user AS user'));
    await eventually('5 checkouts waiting', () => db.stats().waiting === 5);

    const password = newPassword();
    await view.setPassword(clone.username, password);
    provider.publish({ username: clone.username, password }, 'v1');
    await db.refreshCredentials();
    giveBack();

    expect((await held).rows[0]!.user).toBe(user.username);
    const outcomes = await Promise.allSettled(waiting);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(Array(5).fill('fulfilled'));
    for (const outcome of outcomes)
      expect((outcome as PromiseFulfilledResult<{ rows: { user: string }[] }>).value.rows[0]!.user).toBe(
        clone.username,
      );

    // After the rotation: the new user's one connection, idle; the old user's is gone; nothing half logged in.
    await eventually('the old user’s backend gone', async () =>
      (await view!.backends()).every((backend) => backend.usename === clone.username),
    );
    const afterRotation = await view.backends();
    expect(afterRotation.map(({ usename, state }) => ({ usename, state }))).toEqual([
      { usename: clone.username, state: 'idle' },
    ]);
    // The pool counts the old connection until the server has closed its socket, just after the backend left.
    await eventually(
      'the pool to count what the server shows',
      () => db.stats().openConnections === afterRotation.length,
    );

    await db.onApplicationShutdown();
    expect(await view.drained()).toEqual([]);
  }, 30_000);

  it('expired credentials and a failing source, maxOpenConnections 2, 20 failing checkouts: no login reaches the server, stats() agrees with it, and the source is asked once per backoff step, not once per checkout', async () => {
    const role = await createTestRole(server, 'expired');
    view = await ServerView.open(server, [role.username]);
    const source = new ExpiringThenFailingSource(role, 1_500);
    const log = captureNestLog();
    const db = await DbService.create({ dsn: role.bareDsn, credentialProvider: source, maxOpenConnections: 2 });
    source.failing = true;
    await eventually('the credentials to expire', () => Date.now() > source.expiresAt + 50, 5_000);

    const watch = view.watch();
    const callsBefore = source.calls;
    const started = Date.now();
    // 20 checkouts in 4 waves, 250 ms apart: long enough for the source's backoff to matter.
    const outcomes: PromiseSettledResult<unknown>[] = [];
    for (let wave = 0; wave < 4; wave++) {
      if (wave > 0) await sleep(250);
      outcomes.push(...(await Promise.allSettled(Array.from({ length: 5 }, () => db.query('SELECT 1')))));
      expect(db.stats().openConnections).toBe(await view.count());
    }
    const windowMs = Date.now() - started;
    const calls = source.calls - callsBefore;
    await watch.stop();
    const stats = db.stats();
    await db.onApplicationShutdown();
    log.restore();

    expect(outcomes.map((outcome) => outcome.status)).toEqual(Array(20).fill('rejected'));
    for (const outcome of outcomes)
      expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(CredentialSourceError);
    // Credentials come before the socket: not one backend, not even one authenticating.
    expect(watch.samples).toBeGreaterThan(0);
    expect(watch.busiest).toEqual([]);
    expect(stats.openConnections).toBe(0);
    // One call per backoff step of failed fetches (the scheduled retry included), never one per checkout.
    expect(calls).toBeLessThanOrEqual(attemptsAllowed(windowMs));
    expect(calls).toBeLessThan(20);
    expect(await view.drained()).toEqual([]);
  }, 30_000);

  it('a login pg abandons mid-handshake (the source gave an empty password: pg gives up client-side, after the server asked for SCRAM): the socket is closed, so no backend is left authenticating, while it runs or after shutdown', async () => {
    const role = await createTestRole(server, 'abandoned');
    view = await ServerView.open(server, [role.username]);
    const provider = new SwitchableProvider(role.username, '');
    const log = captureNestLog();
    const db = await DbService.create({
      dsn: role.bareDsn,
      credentialProvider: provider,
      maxOpenConnections: 2,
      connectionTimeout: '2s',
    });

    const watch = view.watch();
    const outcomes = await Promise.allSettled(Array.from({ length: 20 }, () => db.query('SELECT 1')));
    const leftAfterCheckouts = await view.drained();
    await watch.stop();
    await eventually('the pool to see the sockets closed', () => db.stats().openConnections === 0, 5_000);
    const stats = db.stats();
    await db.onApplicationShutdown();
    log.restore();

    expect(outcomes.map((outcome) => outcome.status)).toEqual(Array(20).fill('rejected'));
    expect(stats.openConnections).toBe(0);
    // While logins run, each holds a backend, under the cap; none outlives its failed login.
    expect(watch.max).toBeLessThanOrEqual(2);
    expect(leftAfterCheckouts).toEqual([]);
    expect(await view.drained()).toEqual([]);
  }, 30_000);
});

/** Credentials that expire `lifeMs` after the first fetch; once `failing` is set, every fetch fails. */
class ExpiringThenFailingSource implements CredentialProvider {
  readonly name = 'expiring-then-failing';
  calls = 0;
  failing = false;
  expiresAt = 0;

  constructor(
    private readonly role: TestRole,
    private readonly lifeMs: number,
  ) {}

  async fetch(): Promise<Credentials> {
    this.calls++;
    if (this.failing) throw new Error('the source is down');
    this.expiresAt = Date.now() + this.lifeMs;
    return { username: this.role.username, password: this.role.password, expiresAt: new Date(this.expiresAt) };
  }
}

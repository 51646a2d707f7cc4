import { DbService } from '../../src/index.js';
import { startTestPostgres, type TestPostgres } from '../../src/testing/index.js';
import { every, runLoad } from '../support/load.js';
import { SwitchableProvider } from '../support/providers.js';
import { createTestRole, newPassword } from '../support/roles.js';
import { ServerView } from '../support/server-view.js';

/**
 * Issue 19, defect 3: maxOpenConnections is a hard cap on the pool, across usernames, as the
 * server counts it. The README sizes the database as maxOpenConnections × replicas; a username
 * rotation under load that lets the old and the new user each open up to the cap doubles that
 * and can hit `53300 too many connections`.
 */
const MAX_OPEN = 2;
const CALLERS = 16;

let server: TestPostgres;
beforeAll(async () => {
  server = await startTestPostgres();
});
afterAll(() => server.stop());

describe('issue 19 defect 3: maxOpenConnections caps both users together during a username rotation', () => {
  it(`${CALLERS} callers, maxOpenConnections ${MAX_OPEN}, the username alternating every 700 ms: the server never sees more than ${MAX_OPEN} backends of the two users together (authenticating ones included), stats() never more than ${MAX_OPEN}, no query fails`, async () => {
    const user = await createTestRole(server, 'cap');
    const clone = await createTestRole(server, 'cap_clone');
    const view = await ServerView.open(server, [user.username, clone.username]);
    const provider = new SwitchableProvider(user.username, user.password);
    const db = await DbService.create({
      dsn: user.bareDsn,
      credentialProvider: provider,
      maxOpenConnections: MAX_OPEN,
      maxIdleConnections: MAX_OPEN,
      // Short lifetimes add logins of their own while the users alternate.
      connectionMaxLifetime: '2s',
      connectionMaxIdleTime: '2s',
    });

    const roles = [user, clone];
    let rotations = 0;
    const rotator = every(700, async () => {
      const next = roles[++rotations % 2]!;
      const password = newPassword();
      await view.setPassword(next.username, password);
      provider.publish({ username: next.username, password }, `v${rotations}`);
      await db.refreshCredentials();
    });
    const watch = view.watch();
    let mostOpenInStats = 0;
    const seenUsers = new Set<string>();
    const load = await runLoad(CALLERS, 6_000, async () => {
      // Each query holds its connection a moment, so a rotation finds the old user's connections in use.
      const { rows } = await db.query<{ user: string }>('SELECT current_user AS user, pg_sleep(0.003)');
      seenUsers.add(rows[0]!.user);
      mostOpenInStats = Math.max(mostOpenInStats, db.stats().openConnections);
    });
    await rotator.stop();
    await watch.stop();
    await db.onApplicationShutdown();
    const left = await view.drained();
    await view.close();

    expect(load.errors).toEqual([]);
    expect(load.failed).toBe(0);
    expect(rotations).toBeGreaterThanOrEqual(6);
    expect(seenUsers).toEqual(new Set([user.username, clone.username]));
    expect(watch.samples).toBeGreaterThan(50);
    // At most MAX_OPEN in the busiest sample; a failure lists the backends past the cap, with user and state.
    expect(watch.busiest.slice(MAX_OPEN)).toEqual([]);
    expect(mostOpenInStats).toBeLessThanOrEqual(MAX_OPEN);
    expect(left).toEqual([]);
  }, 40_000);
});

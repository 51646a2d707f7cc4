import type pg from 'pg';
import { CredentialSourceError, DatabaseAuthError, DatabaseConnectionError } from '../../src/errors/errors.js';
import { attemptsAllowed } from '../support/backoff.js';
import { PROBE_INTERVAL_MS } from '../../src/pool/login-gate.js';
import { type Harness, poolHarness } from '../support/pool-harness.js';

/** The pool's rules on a manual clock over the stand-in server: issue 19's defects, each as a named regression test. */
async function acquired(harness: Harness, count: number): Promise<pg.PoolClient[]> {
  const checkouts = Array.from({ length: count }, () => harness.pool.acquire());
  await harness.clock.advance(harness.server.loginMs);
  return Promise.all(checkouts);
}

async function rotateUsername(harness: Harness, username: string, password: string): Promise<void> {
  harness.server.passwords.set(username, password);
  harness.source.credentials = { username, password };
  await harness.cache.refresh('manual');
}

describe('maxOpenConnections is one cap across usernames (defect 3)', () => {
  it('during an alternating-users rotation, the new user logs in only as the old user’s connections close', async () => {
    const harness = await poolHarness({ maxOpenConnections: 2 });
    const old = await acquired(harness, 2);
    await rotateUsername(harness, 'app_clone', 'second');
    const waiting = [harness.pool.acquire(), harness.pool.acquire()];
    await harness.clock.advance(harness.server.loginMs);
    expect(harness.server.sockets.size).toBe(2);
    expect(harness.server.sessionsOf('app_clone')).toBe(0);
    old[0]!.release();
    await harness.clock.advance(harness.server.loginMs);
    expect(harness.server.sessionsOf('app')).toBe(1);
    expect(harness.server.sessionsOf('app_clone')).toBe(1);
    old[1]!.release();
    await harness.clock.advance(harness.server.loginMs);
    const fresh = await Promise.all(waiting);
    expect(fresh.map((client) => (client as unknown as { user: string }).user)).toEqual(['app_clone', 'app_clone']);
    expect(harness.pool.stats()).toMatchObject({ openConnections: 2, rotationClosed: 2 });
    expect(harness.logs.filter((line) => line.level === 'log').map((line) => line.message)).toEqual([
      expect.stringContaining('every connection of user app has closed'),
    ]);
  });
});

describe('a login that fails half-way leaves nothing on the server (defect 1)', () => {
  it('closes the socket of every failed login, so the server holds no backend waiting for a password', async () => {
    const harness = await poolHarness({ maxOpenConnections: 2 });
    harness.server.loginsBreakHalfWay = true;
    const failures = Array.from({ length: 5 }, () => harness.pool.acquire().catch((error: unknown) => error));
    await harness.clock.advance(harness.server.loginMs * 5);
    for (const failure of await Promise.all(failures)) expect(failure).toBeInstanceOf(DatabaseConnectionError);
    expect(harness.server.logins).toBe(5);
    expect(harness.server.sockets.size).toBe(0);
    expect(harness.pool.stats().openConnections).toBe(0);
  });

  it('asks a failing source with nothing usable once per backoff step, not once per login', async () => {
    const harness = await poolHarness({ maxOpenConnections: 2 });
    // Credentials that expire, then a source that fails: nothing usable is cached.
    harness.source.credentials = {
      username: 'app',
      password: 'first',
      expiresAt: new Date(harness.clock.now() + 1_000),
    };
    await harness.cache.refresh('manual');
    harness.source.failing = true;
    await harness.clock.advance(1_000);
    const callsBefore = harness.source.calls;
    const failures = Array.from({ length: 8 }, () => harness.pool.acquire().catch((error: unknown) => error));
    await harness.clock.advance(10);
    for (const failure of await Promise.all(failures)) expect(failure).toBeInstanceOf(CredentialSourceError);
    expect(harness.source.calls - callsBefore).toBeLessThanOrEqual(1);
    expect(harness.server.sockets.size).toBe(0);
  });
});

describe('routine closes are not errors (defect 2)', () => {
  it('emits no pool error for lifetime, idle-time, surplus-idle and rotation closes; a killed idle backend does emit one', async () => {
    const harness = await poolHarness({
      maxOpenConnections: 3,
      maxIdleConnections: 1,
      connectionMaxIdleTimeMs: 30_000,
      connectionMaxLifetimeMs: 60_000,
    });
    for (const client of await acquired(harness, 3)) client.release();
    await harness.clock.advance(1_000); // surplus idle
    await harness.clock.advance(30_000); // idle time
    for (const client of await acquired(harness, 2)) client.release();
    await rotateUsername(harness, 'app_clone', 'second'); // rotation
    const heldPastItsDeadline = (await acquired(harness, 1))[0]!;
    await harness.clock.advance(60_000);
    heldPastItsDeadline.release(); // lifetime
    const stats = harness.pool.stats();
    expect(
      stats.maxIdleClosed + stats.maxIdleTimeClosed + stats.rotationClosed + stats.maxLifetimeClosed,
    ).toBeGreaterThanOrEqual(4);
    expect(stats.maxIdleClosed).toBeGreaterThan(0);
    expect(stats.maxIdleTimeClosed).toBeGreaterThan(0);
    expect(stats.rotationClosed).toBeGreaterThan(0);
    expect(stats.maxLifetimeClosed).toBeGreaterThan(0);
    expect(harness.poolErrors).toEqual([]);
    for (const client of await acquired(harness, 1)) client.release();
    harness.server.clients.at(-1)!.kill();
    expect(harness.poolErrors.map((error) => error.message)).toEqual([
      'terminating connection due to administrator command',
    ]);
  });
});

describe('refused logins are the pool’s concern, not each checkout’s (invariant 9)', () => {
  it('a wrong password costs one login a second and one forced fetch per backoff step, however many checkouts wait, and each gets DatabaseAuthError in time', async () => {
    const harness = await poolHarness({ maxOpenConnections: 4, connectionTimeoutMs: 3_000 });
    harness.server.passwords.set('app', 'rotated-behind-our-back');
    const outcomes = Array.from({ length: 32 }, () => harness.pool.acquire().catch((error: unknown) => error));
    await harness.clock.advance(3_000);
    for (const outcome of await Promise.all(outcomes)) expect(outcome).toBeInstanceOf(DatabaseAuthError);
    // The first logins ran in parallel (the pool did not know
    // yet); after that, one a second at most (PROBE_INTERVAL_MS).
    expect(harness.server.refusedLogins).toBeLessThanOrEqual(4 + Math.ceil(3_000 / PROBE_INTERVAL_MS));
    expect(harness.pool.stats().credentialFetches['auth-failure'].succeeded).toBeLessThanOrEqual(
      attemptsAllowed(3_000),
    );
  });

  it('keeps trying while the source yields credentials not yet refused, and wakes waiting checkouts when they arrive', async () => {
    const harness = await poolHarness({ maxOpenConnections: 6, connectionTimeoutMs: 5_000 });
    harness.server.passwords.set('app', 'second');
    const waiting = Array.from({ length: 6 }, () => harness.pool.acquire());
    await harness.clock.advance(harness.server.loginMs);
    // The source catches up 300 ms later, long before the forced fetch's next backoff step.
    await harness.clock.advance(300);
    harness.source.credentials = { username: 'app', password: 'second' };
    await harness.cache.refresh('scheduled');
    // One login first (the last one was refused), then the rest together once it is accepted.
    await harness.clock.advance(2 * harness.server.loginMs);
    const clients = await Promise.all(waiting);
    expect(clients).toHaveLength(6);
    expect(harness.clock.now()).toBeLessThan(Date.parse('2026-01-01T00:00:01Z'));
    expect(harness.pool.stats().authRecoveries).toBe(6);
  });
});

describe('a closing socket holds its slot until the server has closed it (the cap as pg_stat_activity counts it)', () => {
  it('a rotation under a full pool: the new user’s login starts only once the old user’s socket is gone from the server', async () => {
    const harness = await poolHarness({ maxOpenConnections: 1, maxIdleConnections: 1 });
    harness.server.closeMs = 20;
    const [old] = await acquired(harness, 1);
    await rotateUsername(harness, 'app_clone', 'second');
    const next = harness.pool.acquire();
    old!.release(); // closes for the rotation: Terminate sent, the server needs 20 ms to close
    expect(harness.server.sockets.size).toBe(1);
    expect(harness.pool.stats()).toMatchObject({ openConnections: 1, inUse: 0, idle: 0 });
    await harness.clock.advance(19);
    expect(harness.server.logins).toBe(1);
    await harness.clock.advance(1);
    // The old socket is gone; only then the new user's login starts.
    expect([...harness.server.sockets].map((socket) => socket.user)).toEqual(['app_clone']);
    expect(harness.server.logins).toBe(2);
    await harness.clock.advance(harness.server.loginMs);
    expect(((await next) as unknown as { user: string }).user).toBe('app_clone');
  });

  it('a login abandoned half-way: its socket is ended, and counted until the server closes it', async () => {
    const harness = await poolHarness({ maxOpenConnections: 1 });
    harness.server.closeMs = 50;
    harness.server.loginsBreakHalfWay = true;
    const failed = harness.pool.acquire().catch((error: unknown) => error);
    await harness.clock.advance(harness.server.loginMs);
    expect(await failed).toBeInstanceOf(DatabaseConnectionError);
    harness.server.loginsBreakHalfWay = false;
    const next = harness.pool.acquire();
    await harness.clock.advance(harness.server.loginMs);
    // The abandoned backend is still on the server: no second login yet.
    expect(harness.server.logins).toBe(1);
    expect(harness.pool.stats().openConnections).toBe(1);
    await harness.clock.advance(50);
    expect(harness.server.logins).toBe(2);
    await harness.clock.advance(harness.server.loginMs);
    (await next).release();
    expect(harness.server.sockets.size).toBe(1);
  });
});

describe('Credentials.sessionsEndAt: no connection outlives the credentials it logged in with', () => {
  it('cuts the lifetime to the sessions’ end, less the jitter: an idle connection closes then, one in use when given back', async () => {
    const harness = await poolHarness({
      connectionMaxLifetimeMs: 60_000,
      connectionMaxLifetimeJitterMs: 6_000,
      connectionMaxIdleTimeMs: 120_000,
    });
    // random() is 0.5; the jitter (6 s of 60 s) shrinks in proportion to the 20 s left: 2 s, half of it taken.
    const endsAt = harness.clock.now() + 20_000;
    harness.source.credentials = { username: 'app', password: 'first', sessionsEndAt: new Date(endsAt) };
    await harness.cache.refresh('manual');
    const [idle, held] = await acquired(harness, 2);
    idle!.release();
    // Logged in 5 ms after the credentials: 19,995 ms left, a jitter of 1,999.5 ms, half of it: closes at 19,000.25 ms.
    await harness.clock.advance(endsAt - 1_000 - harness.clock.now());
    expect(harness.server.sockets.size).toBe(2);
    await harness.clock.advance(1);
    expect(harness.server.sockets.size).toBe(1);
    held!.release();
    expect(harness.server.sockets.size).toBe(0);
    expect(harness.pool.stats().maxLifetimeClosed).toBe(2);
    expect(harness.clock.now()).toBeLessThan(endsAt);
  });

  it('leaves connectionMaxLifetime alone when the sessions end later', async () => {
    const harness = await poolHarness({
      connectionMaxLifetimeMs: 60_000,
      connectionMaxLifetimeJitterMs: 6_000,
      connectionMaxIdleTimeMs: 120_000,
    });
    harness.source.credentials = {
      username: 'app',
      password: 'first',
      sessionsEndAt: new Date(harness.clock.now() + 3_600_000),
    };
    await harness.cache.refresh('manual');
    const [client] = await acquired(harness, 1);
    client!.release();
    await harness.clock.advance(56_999 - harness.server.loginMs);
    expect(harness.server.sockets.size).toBe(1);
    await harness.clock.advance(1_000);
    expect(harness.server.sockets.size).toBe(0);
  });
});

describe('Credentials.sessionsEndAt already past: a checkout logs in with new credentials', () => {
  it('fetches new ones for the login instead of opening a connection that would be closed before it is handed out', async () => {
    const harness = await poolHarness();
    harness.source.credentials = {
      username: 'app',
      password: 'first',
      sessionsEndAt: new Date(harness.clock.now() + 1_000),
    };
    await harness.cache.refresh('manual');
    // The source kept answering with the same lease until its sessions' end: the cache holds it, past its end.
    await harness.clock.advance(1_000);
    harness.server.passwords.set('app_next', 'second');
    harness.source.credentials = { username: 'app_next', password: 'second' };
    let client: pg.PoolClient | undefined;
    const checkout = harness.pool.acquire().then((acquiredClient) => (client = acquiredClient));
    // One login's time, far inside connectionTimeout (2 s): a connection with the old lease would never be handed out.
    await harness.clock.advance(harness.server.loginMs);
    expect(client).toBeDefined();
    await checkout;
    expect((client as unknown as { user: string }).user).toBe('app_next');
    expect(harness.server.sessionsOf('app')).toBe(0);
    expect(harness.server.sessionsOf('app_next')).toBe(1);
    client!.release();
  });
});

import { DbService, type DatabaseModuleOptions } from '../../src/index.js';
import { eventually, runLoad, sleep } from '../support/load.js';
import { useTestDatabase } from '../support/roles.js';
import { totalClosed } from '../support/stats.js';

const database = useTestDatabase();

const BACKEND_AGE =
  'SELECT extract(epoch FROM clock_timestamp() - backend_start) * 1000 AS age_ms FROM pg_stat_activity WHERE pid = pg_backend_pid()';

/** The oldest backend any query ran on during `durationMs` of load. */
async function oldestBackendUnderLoad(options: Partial<DatabaseModuleOptions>, durationMs: number) {
  const db = await DbService.create({
    dsn: database.role.dsn,
    maxOpenConnections: 6,
    maxIdleConnections: 6,
    ...options,
  });
  let oldestMs = 0;
  const load = await runLoad(8, durationMs, async () => {
    const { rows } = await db.query<{ age_ms: number }>(BACKEND_AGE);
    oldestMs = Math.max(oldestMs, Number(rows[0]!.age_ms));
    await sleep(5);
  });
  const stats = db.stats();
  await db.onApplicationShutdown();
  return { oldestMs, load, stats, closed: db.stats() };
}

/** Opens `count` connections at once, lets them idle, and records when each lifetime close happens. */
async function lifetimeCloseTimes(count: number, options: Partial<DatabaseModuleOptions>): Promise<number[]> {
  const db = await DbService.create({
    dsn: database.role.dsn,
    maxOpenConnections: count,
    maxIdleConnections: count,
    ...options,
  });
  await Promise.all(Array.from({ length: count }, () => db.query('SELECT pg_sleep(0.2)')));
  expect(db.stats().idle).toBe(count);
  const times: number[] = [];
  const started = Date.now();
  let seen = 0;
  await eventually(
    'every idle connection to reach its lifetime',
    () => {
      const closed = db.stats().maxLifetimeClosed;
      for (; seen < closed; seen++) times.push(Date.now() - started);
      return closed === count;
    },
    15_000,
  );
  // A closed connection counts until the server has closed its socket.
  await eventually('the server to close their sockets', () => db.stats().openConnections === 0, 5_000);
  await db.onApplicationShutdown();
  return times;
}

describe('connection lifetime', () => {
  it('never serves a query on a backend older than lifetime + 1 s', async () => {
    const { oldestMs, load, stats, closed } = await oldestBackendUnderLoad({ connectionMaxLifetime: '2s' }, 10_000);
    expect(load.failed).toBe(0);
    expect(oldestMs).toBeLessThan(3_000);
    expect(oldestMs).toBeGreaterThan(1_000);
    expect(stats.maxLifetimeClosed).toBeGreaterThanOrEqual(6 * 3);
    expect(closed.opened).toBe(totalClosed(closed));
  }, 30_000);

  it('negative control: the same check fails when the lifetime is not short', async () => {
    const { oldestMs, stats } = await oldestBackendUnderLoad({ connectionMaxLifetime: '14m' }, 5_000);
    expect(oldestMs).toBeGreaterThan(3_000);
    expect(stats.maxLifetimeClosed).toBe(0);
  }, 30_000);

  it('closes an idle connection within a second of its deadline', async () => {
    const times = await lifetimeCloseTimes(4, { connectionMaxLifetime: '2s', connectionMaxLifetimeJitter: 0 });
    // Opened ~0.2 s before the clock started; the deadline is at 2 s.
    for (const time of times) {
      expect(time).toBeGreaterThan(1_500);
      expect(time).toBeLessThan(2_000 + 1_000);
    }
  }, 30_000);

  it('spreads the closes of connections opened together (jitter), not all in one instant', async () => {
    const times = await lifetimeCloseTimes(8, { connectionMaxLifetime: '4s', connectionMaxLifetimeJitter: '2s' });
    expect(Math.max(...times) - Math.min(...times)).toBeGreaterThan(500);
    expect(Math.min(...times)).toBeGreaterThan(1_500);
  }, 30_000);

  it('negative control: without jitter they all close in the same instant', async () => {
    const times = await lifetimeCloseTimes(8, { connectionMaxLifetime: '2s', connectionMaxLifetimeJitter: 0 });
    expect(Math.max(...times) - Math.min(...times)).toBeLessThan(300);
  }, 30_000);

  it('closes idle connections above maxIdleConnections after a one-second grace, and the rest after connectionMaxIdleTime', async () => {
    const db = await DbService.create({
      dsn: database.role.dsn,
      maxOpenConnections: 6,
      maxIdleConnections: 2,
      connectionMaxLifetime: '1m',
      connectionMaxIdleTime: '4s',
    });
    await Promise.all(Array.from({ length: 6 }, () => db.query('SELECT pg_sleep(0.1)')));
    expect(db.stats()).toMatchObject({ idle: 6, maxIdleClosed: 0 });
    await eventually('the surplus to close', () => db.stats().maxIdleClosed === 4, 5_000);
    // A closed connection counts until the server has closed its socket.
    await eventually('the server to close their sockets', () => db.stats().openConnections === 2, 5_000);
    expect(db.stats()).toMatchObject({ idle: 2, openConnections: 2 });
    await eventually('idle connections to time out', () => db.stats().openConnections === 0, 10_000);
    expect(db.stats()).toMatchObject({ maxIdleClosed: 4, maxIdleTimeClosed: 2, maxLifetimeClosed: 0 });
    await db.onApplicationShutdown();
  }, 30_000);

  it('counts connectionMaxIdleTime from the last release: a connection used more often stays open, one held past the limit closes only after idling the whole limit', async () => {
    const db = await DbService.create({
      dsn: database.role.dsn,
      maxOpenConnections: 1,
      maxIdleConnections: 1,
      connectionMaxLifetime: '1m',
      connectionMaxIdleTime: '2s',
    });
    // Used every 200 ms for 4 s: never idle for the whole limit, though the first release was 4 s ago.
    for (let use = 0; use < 20; use++) {
      await db.query('SELECT 1');
      await sleep(200);
    }
    expect(db.stats()).toMatchObject({ opened: 1, maxIdleTimeClosed: 0 });
    // Held for longer than the limit, then given back: it is not closed under its user, nor at once after.
    await db.withClient(async (client) => {
      await client.query('SELECT 1');
      await sleep(2_500);
    });
    expect(db.stats()).toMatchObject({ opened: 1, openConnections: 1, maxIdleTimeClosed: 0 });
    await eventually(
      'the connection to close once idle for the limit',
      () => db.stats().maxIdleTimeClosed === 1,
      10_000,
    );
    expect(db.stats().opened).toBe(1);
    await db.onApplicationShutdown();
  }, 30_000);

  it('keeps connections through pauses shorter than the grace: bursts reuse them instead of logging in again', async () => {
    const db = await DbService.create({
      dsn: database.role.dsn,
      maxOpenConnections: 8,
      maxIdleConnections: 2,
      connectionMaxLifetime: '1m',
    });
    for (let burst = 0; burst < 5; burst++) {
      await Promise.all(Array.from({ length: 8 }, () => db.query('SELECT pg_sleep(0.05)')));
      await sleep(100);
    }
    // Without the grace (Go's close-at-once), each burst after the first logged 6 connections in again: 8 + 4 × 6 = 32.
    expect(db.stats()).toMatchObject({ opened: 8, maxIdleClosed: 0 });
    await db.onApplicationShutdown();
  }, 30_000);
});

import {
  DatabaseConnectionTimeoutError,
  DbService,
  type CredentialFetchContext,
  type CredentialProvider,
  type Credentials,
  type DatabaseStats,
} from '../../src/index.js';
import { metricNames as names, attributes } from '../../src/metrics/metric-names.js';
import { startTestPostgres, type TestPostgres } from '../../src/testing/index.js';
import { eventually, runLoad, sleep } from '../support/load.js';
import { type Collected, testMeterProvider } from '../support/metrics.js';
import { SwitchableProvider } from '../support/providers.js';
import { createTestRole, newPassword, setPassword } from '../support/roles.js';

let server: TestPostgres;
beforeAll(async () => {
  server = await startTestPostgres();
});
afterAll(() => server.stop());

/** Credentials that say when they expire, as IAM tokens do, so the time-to-expiry gauge has something to show. */
class ExpiringProvider implements CredentialProvider {
  readonly name = 'test';
  constructor(private readonly inner: SwitchableProvider) {}
  async fetch(context: CredentialFetchContext): Promise<Credentials> {
    return { ...(await this.inner.fetch(context)), expiresAt: new Date(Date.now() + 10 * 60_000) };
  }
}

/**
 * A collection and each pool's stats from the same instant: idle connections may close on a
 * timer between two readings, so it reads until stats() did not move across the collection.
 */
async function collectSteady(
  collect: () => Promise<Collected>,
  dbs: DbService[],
): Promise<{ collected: Collected; stats: DatabaseStats[] }> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const before = JSON.stringify(dbs.map((db) => db.stats()));
    const collected = await collect();
    const stats = dbs.map((db) => db.stats());
    if (JSON.stringify(stats) === before) return { collected, stats };
    await sleep(20);
  }
  throw new Error('the pools never held still for one collection');
}

const CLOSE_REASONS = {
  lifetime: 'maxLifetimeClosed',
  idle_time: 'maxIdleTimeClosed',
  max_idle: 'maxIdleClosed',
  error: 'errorClosed',
  rotation: 'rotationClosed',
  shutdown: 'shutdownClosed',
} as const;

describe('OpenTelemetry metrics through the real SDK', () => {
  it('reports every instrument per pool, agreeing with stats(), through password and username rotations, lifetime closes and a checkout timeout', async () => {
    const telemetry = testMeterProvider();
    const user = await createTestRole(server, 'orders');
    const twin = await createTestRole(server, 'orders_twin');
    const reportsRole = await createTestRole(server, 'reports');
    const switchable = new SwitchableProvider(user.username, user.password);
    const orders = await DbService.create({
      name: 'orders',
      dsn: user.bareDsn,
      credentialProvider: new ExpiringProvider(switchable),
      maxOpenConnections: 4,
      maxIdleConnections: 2,
      connectionMaxLifetime: '1s',
      meterProvider: telemetry.provider,
    });
    const reports = await DbService.create({
      name: 'reports',
      dsn: reportsRole.dsn,
      maxOpenConnections: 1,
      maxIdleConnections: 1,
      connectionTimeout: '300ms',
      meterProvider: telemetry.provider,
    });

    // orders: load through a password rotation, then a username rotation, with 1 s lifetimes.
    const load = runLoad(4, 6_000, () => orders.query('SELECT pg_sleep(0.002)'));
    await sleep(1_500);
    const password = newPassword();
    await setPassword(server, user.username, password);
    switchable.publish({ username: user.username, password }, 'v1');
    await orders.refreshCredentials();
    await sleep(1_500);
    switchable.publish({ username: twin.username, password: twin.password }, 'v2');
    await orders.refreshCredentials();
    const ordersLoad = await load;
    expect(ordersLoad.errors).toEqual([]);
    await eventually('the old generation to drain', () => orders.stats().generations === 1);

    // reports: one query, then a checkout that times out behind the only connection.
    await reports.query('SELECT 1');
    await reports.withClient(async () => {
      await expect(reports.query('SELECT 1')).rejects.toBeInstanceOf(DatabaseConnectionTimeoutError);
    });
    const reportsCheckouts = 2;

    const { collected, stats } = await collectSteady(telemetry.collect, [orders, reports]);
    const [ordersStats, reportsStats] = stats as [DatabaseStats, DatabaseStats];

    expect(collected.names()).toEqual(expect.arrayContaining(Object.values(names)));
    expect(collected.unit(names.waitTime)).toBe('s');
    expect(collected.unit(names.count)).toBe('{connection}');
    expect(ordersStats.maxLifetimeClosed).toBeGreaterThan(0);
    expect(ordersStats.rotationClosed).toBeGreaterThan(0);
    expect(ordersStats.credentialRotations).toBe(2);
    expect(reportsStats.connectionTimeouts).toBe(1);

    const checks: Array<[DbService, DatabaseStats, number, number]> = [
      [orders, ordersStats, 2, ordersLoad.succeeded],
      [reports, reportsStats, 1, reportsCheckouts],
    ];
    for (const [db, s, maxIdle, checkouts] of checks) {
      const pool = { [attributes.poolName]: db.name };
      const value = (name: string, more: Record<string, string> = {}) => collected.value(name, { ...pool, ...more });
      expect({
        pool: db.name,
        idle: value(names.count, { [attributes.state]: 'idle' }),
        used: value(names.count, { [attributes.state]: 'used' }),
        idleMax: value(names.idleMax),
        idleMin: value(names.idleMin),
        max: value(names.max),
        pending: value(names.pendingRequests),
        timeouts: value(names.timeouts),
        opened: value(names.opened),
        refused: value(names.loginsRefused),
        recovered: value(names.loginsRecovered),
        rotations: value(names.credentialRotations),
        failures: value(names.credentialConsecutiveFailures),
        generations: value(names.generations),
        created: value(names.createTime),
        waited: value(names.waitTime),
        used_: value(names.useTime),
      }).toEqual({
        pool: db.name,
        idle: s.idle,
        used: s.inUse,
        idleMax: maxIdle,
        idleMin: 0,
        max: s.maxOpenConnections,
        pending: s.waiting,
        timeouts: s.connectionTimeouts,
        opened: s.opened,
        refused: s.authFailures,
        recovered: s.authRecoveries,
        rotations: s.credentialRotations,
        failures: 0,
        generations: s.generations,
        // Each successful login is timed once; each checkout waits once and is used once.
        created: s.opened,
        waited: checkouts,
        used_: checkouts,
      });
      for (const [reason, field] of Object.entries(CLOSE_REASONS)) {
        expect([reason, value(names.closed, { [attributes.closeReason]: reason })]).toEqual([reason, s[field]]);
      }
      const fetches = (outcome: string) =>
        collected
          .points(names.credentialFetches, { ...pool, [attributes.fetchOutcome]: outcome })
          .reduce((sum, point) => sum + point.value, 0);
      expect(fetches('success')).toBe(s.credentialRefreshes);
      expect(fetches('failure')).toBe(s.credentialRefreshFailures);
      expect(value(names.credentialAge)).toBeGreaterThanOrEqual(0);
    }
    expect(
      collected.value(names.credentialFetches, {
        [attributes.poolName]: 'orders',
        [attributes.fetchReason]: 'manual',
        [attributes.fetchOutcome]: 'success',
      }),
    ).toBe(2);
    expect(collected.value(names.credentialTimeToExpiry, { [attributes.poolName]: 'orders' })).toBeGreaterThan(500);
    // A static password never expires: no expiry to report.
    expect(collected.points(names.credentialTimeToExpiry, { [attributes.poolName]: 'reports' })).toEqual([]);
    // Nothing a secret, a username or a version could hide in.
    const labels = collected.everyAttributeValue();
    for (const forbidden of [
      user.password,
      password,
      twin.password,
      reportsRole.password,
      user.username,
      twin.username,
      'v1',
      'v2',
    ]) {
      expect(labels).not.toContain(forbidden);
    }

    await Promise.all([orders.onApplicationShutdown(), reports.onApplicationShutdown()]);
    await telemetry.shutdown();
  }, 60_000);

  it('takes the global MeterProvider when none is given, and records nothing without one', async () => {
    const { metrics } = await import('@opentelemetry/api');
    const role = await createTestRole(server, 'global');
    const unobserved = await DbService.create({ name: 'unobserved', dsn: role.dsn });
    const telemetry = testMeterProvider();
    metrics.setGlobalMeterProvider(telemetry.provider);
    try {
      const observed = await DbService.create({ name: 'observed', dsn: role.dsn });
      const countersOnly = await DbService.create({ name: 'counters-only', dsn: role.dsn, durationMetrics: false });
      await Promise.all([observed, unobserved, countersOnly].map((db) => db.query('SELECT 1')));
      const collected = await telemetry.collect();
      expect(collected.value(names.waitTime, { [attributes.poolName]: 'observed' })).toBe(1);
      expect(collected.points(names.opened, { [attributes.poolName]: 'unobserved' })).toEqual([]);
      // durationMetrics: false keeps the counters and gauges, and records no duration.
      expect(collected.value(names.opened, { [attributes.poolName]: 'counters-only' })).toBe(1);
      for (const histogram of [names.createTime, names.waitTime, names.useTime]) {
        expect(collected.points(histogram, { [attributes.poolName]: 'counters-only' })).toEqual([]);
      }
      await Promise.all([observed, unobserved, countersOnly].map((db) => db.onApplicationShutdown()));
    } finally {
      metrics.disable();
      await telemetry.shutdown();
    }
  });

  it('refuses a meterProvider that is not one, naming the key', async () => {
    await expect(
      DbService.create({ dsn: 'postgresql://app:pw@localhost/app', meterProvider: {} as never }),
    ).rejects.toThrow(/meterProvider: must be an OpenTelemetry MeterProvider/);
  });
});

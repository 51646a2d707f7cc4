import { DbService } from '../../src/index.js';
import { startTestPostgres, type TestPostgres } from '../../src/testing/index.js';
import { every, runLoad } from '../support/load.js';
import { SwitchableProvider } from '../support/providers.js';
import { createTestRole, newPassword, setPassword } from '../support/roles.js';
import { totalClosed } from '../support/stats.js';

let server: TestPostgres;
beforeAll(async () => {
  server = await startTestPostgres();
});
afterAll(() => server.stop());

/**
 * Invariant 2: 16 workers query for 20 s while the role's password changes every 2 s. Short
 * lifetimes keep new logins happening all the time, so each rotation meets refused logins.
 */
async function rotateUnderLoad(lagMs: number) {
  const role = await createTestRole(server);
  const provider = new SwitchableProvider(role.username, role.password);
  provider.lagMs = lagMs;
  const db = await DbService.create({
    dsn: role.bareDsn,
    credentialProvider: provider,
    maxOpenConnections: 8,
    maxIdleConnections: 4,
    connectionMaxLifetime: '1s',
  });
  let rotations = 0;
  const rotator = every(2_000, async () => {
    const password = newPassword();
    await setPassword(server, role.username, password);
    provider.publish({ username: role.username, password }, `v${++rotations}`);
  });
  const load = await runLoad(16, 20_000, () => db.query('SELECT pg_sleep(0.002)'));
  await rotator.stop();
  const stats = db.stats();
  await db.onApplicationShutdown();
  return { load, rotations, provider, stats, closed: db.stats() };
}

describe('password rotation under load', () => {
  it('fails zero queries and asks the provider once per rotation', async () => {
    const { load, rotations, provider, stats, closed } = await rotateUnderLoad(0);
    expect(load.errors).toEqual([]);
    expect(load.failed).toBe(0);
    expect(load.succeeded).toBeGreaterThan(1_000);
    expect(rotations).toBeGreaterThanOrEqual(8);
    // One initial fetch plus at most one per rotation, however many logins were refused.
    expect(provider.calls).toBeLessThanOrEqual(rotations + 1);
    expect(stats.authFailures).toBeGreaterThan(0);
    expect(stats.authRecoveries).toBeGreaterThan(0);
    expect(stats.credentialRotations).toBeLessThanOrEqual(rotations);
    expect(stats.maxLifetimeClosed).toBeGreaterThan(0);
    // A password change needs no new pool generation; 16 workers on 8 connections wait.
    expect(stats).toMatchObject({ generations: 1, rotationClosed: 0, inUse: 0 });
    expect(stats.waitCount).toBeGreaterThan(0);
    expect(stats.waitDurationMs).toBeGreaterThan(0);
    // Every physical connection ever opened was closed and counted under exactly one reason.
    expect(closed.openConnections).toBe(0);
    expect(closed.opened).toBe(totalClosed(closed));
  }, 40_000);

  it('fails zero queries when the provider lags the database by 300 ms', async () => {
    const { load, rotations, provider, stats } = await rotateUnderLoad(300);
    expect(load.errors).toEqual([]);
    expect(load.failed).toBe(0);
    // A lagging source answers once with the old password, then with the new one.
    expect(provider.calls).toBeLessThanOrEqual(2 * rotations + 1);
    expect(stats.authFailures).toBeGreaterThan(0);
  }, 40_000);
});

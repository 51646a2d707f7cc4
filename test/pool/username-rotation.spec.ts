import { DbService } from '../../src/index.js';
import { startTestPostgres, type TestPostgres } from '../../src/testing/index.js';
import { eventually, every, runLoad } from '../support/load.js';
import { SwitchableProvider } from '../support/providers.js';
import { createTestRole, newPassword, setPassword } from '../support/roles.js';
import { totalClosed } from '../support/stats.js';

let server: TestPostgres;
beforeAll(async () => {
  server = await startTestPostgres();
});
afterAll(() => server.stop());

async function backendsOf(username: string): Promise<number> {
  const { rows } = await server.admin('SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = $1', [username]);
  return rows[0].n;
}

describe('username rotation (alternating users) under load', () => {
  it('fails zero queries, moves to a new generation, and drains the old one', async () => {
    const user = await createTestRole(server, 'app');
    const clone = await createTestRole(server, 'app_clone');
    const provider = new SwitchableProvider(user.username, user.password);
    const db = await DbService.create({
      dsn: user.bareDsn,
      credentialProvider: provider,
      maxOpenConnections: 8,
      maxIdleConnections: 4,
      connectionMaxLifetime: '3s',
    });
    // Secrets Manager's alternating-users strategy: set a new password on the idle twin, then publish it.
    const roles = [user, clone];
    let rotations = 0;
    const rotator = every(2_000, async () => {
      const next = roles[++rotations % 2]!;
      const password = newPassword();
      await setPassword(server, next.username, password);
      provider.publish({ username: next.username, password }, `v${rotations}`);
      // The app only learns of it on its schedule; here, a manual refresh stands in for the scheduled one.
      await db.refreshCredentials();
    });
    const seen = new Set<string>();
    const load = await runLoad(16, 20_000, async () => {
      const { rows } = await db.query<{ user: string }>('SELECT current_user AS user, pg_sleep(0.002)');
      seen.add(rows[0]!.user);
    });
    await rotator.stop();

    expect(load.errors).toEqual([]);
    expect(load.failed).toBe(0);
    expect(rotations).toBeGreaterThanOrEqual(8);
    expect(seen).toEqual(new Set([user.username, clone.username]));
    const current = roles[rotations % 2]!;
    const old = roles[(rotations + 1) % 2]!;
    await eventually('the old generation to drain', () => db.stats().generations === 1);
    await eventually('no backend of the old username', async () => (await backendsOf(old.username)) === 0);
    const stats = db.stats();
    expect(stats.rotationClosed).toBeGreaterThan(0);
    expect(stats.credentials.username).toBe(current.username);
    expect(stats.inUse).toBe(0);
    // Provider: one initial fetch plus the manual refresh per rotation; no auth-failure storm.
    expect(provider.reasons.filter((reason) => reason === 'auth-failure')).toEqual([]);

    await db.onApplicationShutdown();
    const closed = db.stats();
    expect(closed.openConnections).toBe(0);
    expect(closed.opened).toBe(totalClosed(closed));
  }, 40_000);
});

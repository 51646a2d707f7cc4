import { TerminusModule } from '@nestjs/terminus';
import { Test } from '@nestjs/testing';
import { DatabaseAuthError, DatabaseModule, type DbService, getDbServiceToken } from '../../../src/index.js';
import { DatabaseHealthIndicator } from '../../../src/health/index.js';
import {
  rotateVaultKvSecret,
  startTestPostgres,
  type TestPostgres,
  VaultEmulator,
  writeVaultKvSecret,
} from '../../../src/testing/index.js';
import { eventually, startLoad } from '../../support/load.js';
import { ServerView } from '../../support/server-view.js';
import { createTestRole, type TestRole } from '../../support/roles.js';
import { kvSecret, vaultDb } from './vault-fixture.js';

/**
 * Issue 22's evidence for Vault KV v2: a secret that a script rotates (ALTER ROLE, then a new
 * version) under load, also in the order where the database changes a second before the secret;
 * a sealed Vault serving the cached credentials with health degraded; wrong credentials written to
 * the secret failing typed, without the password, and recovering once the secret is fixed.
 */
const CALLERS = 16;

let server: TestPostgres;
let view: ServerView;
let role: TestRole;
let vault: VaultEmulator;

beforeAll(async () => {
  server = await startTestPostgres();
  view = await ServerView.open(server, []);
});
beforeEach(async () => {
  role = await createTestRole(server, 'kvfault');
  vault = await new VaultEmulator(server).start();
  vault.enableKv();
  await writeVaultKvSecret(kvSecret(vault), { username: role.username, password: role.password });
});
afterEach(() => vault.stop());
afterAll(async () => {
  await view.close();
  await server.stop();
});

const kvDb = (kv: object = {}, options: object = {}) =>
  vaultDb(
    server,
    vault,
    { kv: { path: 'db/app', ...kv } },
    { dsn: role.bareDsn, connectionMaxLifetime: '1s', ...options },
  );

/** The test role's sessions as the server sees them. */
async function sessionsOf(username: string): Promise<number> {
  const { rows } = await view.admin(
    `SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = $1 AND backend_type = 'client backend'`,
    [username],
  );
  return (rows[0] as { n: number }).n;
}

describe(`Vault KV v2 rotations under load (${CALLERS} callers)`, () => {
  it('four rotations, two with the database changed 1 s before the secret: 0 failed queries, each version picked up', async () => {
    // A long refresh interval: only refused logins make it read the secret again.
    const db = await kvDb({ refreshInterval: '1h' });
    const load = startLoad(CALLERS, () => db.query('SELECT pg_sleep(0.002)'));
    try {
      await eventually('the load to run', () => load.succeeded > 200);
      for (const pauseAfterDatabaseMs of [0, 1_000, 0, 1_000]) {
        const version = await rotateVaultKvSecret({
          secret: kvSecret(vault),
          username: role.username,
          admin: (sql) => server.admin(sql),
          pauseAfterDatabaseMs,
        });
        // Connections live 1 s: new logins soon meet the new password and read the new version.
        await eventually(
          `kv version ${version} in use`,
          () => db.stats().credentials.version === `kv version ${version}`,
          20_000,
        );
        const served = load.succeeded;
        await eventually('queries served after the rotation', () => load.succeeded > served + 200);
      }
      await load.stop();
      expect(load.failures.map(({ error }) => String(error))).toEqual([]);
      const stats = db.stats();
      expect(stats.credentials.version).toBe('kv version 5');
      expect(stats.credentialRotations).toBeGreaterThanOrEqual(4);
      expect(stats.authFailures).toBeGreaterThanOrEqual(4);
      // Single flight: a handful of reads per rotation, not one per refused login.
      expect(vault.calls['kv-read']).toBeLessThan(5 + 4 * 10);
      expect(await sessionsOf(role.username)).toBeGreaterThan(0);
    } finally {
      await load.stop();
      await db.onApplicationShutdown();
    }
    expect(await sessionsOf(role.username)).toBe(0);
  }, 90_000);

  it('wrong credentials written to the secret: typed auth errors without the password, served again once fixed', async () => {
    const db = await kvDb({ refreshInterval: '500ms' }, { connectionTimeout: '2s' });
    try {
      await db.query('SELECT 1');
      const wrong = 'kv-wrong-password-0001';
      await writeVaultKvSecret(kvSecret(vault), { username: role.username, password: wrong });
      let refused: unknown;
      await eventually(
        'a query refused with the wrong password',
        async () => {
          refused = await db.query('SELECT 1').then(
            () => undefined,
            (error: unknown) => error,
          );
          return refused !== undefined;
        },
        20_000,
      );
      expect(refused).toBeInstanceOf(DatabaseAuthError);
      expect(refused).toMatchObject({ code: '28P01' });
      expect(`${String(refused)}${(refused as Error).stack}`).not.toContain(wrong);
      expect(db.stats().credentials.version).toBe('kv version 2');
      await writeVaultKvSecret(kvSecret(vault), { username: role.username, password: role.password });
      await eventually(
        'served again',
        () =>
          db.query('SELECT 1').then(
            () => true,
            () => false,
          ),
        20_000,
      );
      expect(db.stats().credentials.version).toBe('kv version 3');
      expect(JSON.stringify(db.stats())).not.toContain(wrong);
    } finally {
      await db.onApplicationShutdown();
    }
  }, 60_000);
});

describe('Vault sealed while serving from KV', () => {
  it('cached credentials serve new logins (0 failed queries), health degraded naming the 503, up again once unsealed', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        TerminusModule,
        DatabaseModule.forRoot({
          name: 'vault',
          dsn: role.bareDsn,
          vault: { address: vault.address, token: vault.rootToken, kv: { path: 'db/app', refreshInterval: '1s' } },
          maxOpenConnections: 8,
          maxIdleConnections: 4,
          connectionMaxLifetime: '1s',
        }),
      ],
      providers: [DatabaseHealthIndicator],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    try {
      const db = app.get<DbService>(getDbServiceToken('vault'));
      const health = app.get(DatabaseHealthIndicator);
      const statusOf = async () =>
        (await health.isHealthy('database', { connection: 'vault' })).database as {
          status: string;
          credentials?: { lastError?: string };
        };
      const load = startLoad(CALLERS, () => db.query('SELECT pg_sleep(0.002)'));
      try {
        await eventually('the load to run', () => load.succeeded > 200);
        expect((await statusOf()).status).toBe('up');
        vault.seal();
        const closedAtSeal = db.stats().maxLifetimeClosed;
        let degraded: Awaited<ReturnType<typeof statusOf>> | undefined;
        await eventually(
          'health degraded',
          async () => {
            const status = await statusOf();
            if (status.status === 'degraded') degraded = status;
            return degraded !== undefined;
          },
          15_000,
        );
        // Connections kept reaching their 1 s lifetime while sealed: new logins used the cached credentials.
        await eventually('a connection retired while sealed', () => db.stats().maxLifetimeClosed > closedAtSeal);
        vault.unseal();
        await eventually('health up again', async () => (await statusOf()).status === 'up', 15_000);
        await load.stop();
        expect(degraded!.credentials?.lastError).toMatch(/Vault KV read failed: HTTP 503: Vault is sealed/);
        expect(load.failures.map(({ error }) => String(error))).toEqual([]);
        expect(vault.calls.sealed).toBeGreaterThan(0);
      } finally {
        await load.stop();
      }
    } finally {
      await app.close();
    }
  }, 60_000);
});

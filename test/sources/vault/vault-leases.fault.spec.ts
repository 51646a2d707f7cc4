import { Test } from '@nestjs/testing';
import { TerminusModule } from '@nestjs/terminus';
import { DatabaseModule, type DbService, getDbServiceToken } from '../../../src/index.js';
import { DatabaseHealthIndicator } from '../../../src/health/index.js';
import { startTestPostgres, type TestPostgres, VaultEmulator } from '../../../src/testing/index.js';
import { eventually, runLoad, startLoad } from '../../support/load.js';
import { ServerView } from '../../support/server-view.js';
import { GRANT, type LateSession, sessionsPastLeaseEnd, vaultDb, vaultRolesLeft } from './vault-fixture.js';

/**
 * Issue 22's evidence for Vault: under load, through lease renewals, a re-issue with a new user
 * and the cut-over before a max TTL (or before the end of the Vault token that read the lease),
 * 0 failed queries and no session alive past its lease's end; a sealed Vault serves the cached
 * credentials with health degraded; shutdown leaves no Vault-created role behind.
 *
 * Two runs keep `connectionMaxLifetime` at 1 s, well below the shortest time a cut-over leaves the
 * old lease (a third of its TTL: 3 s here), as the first evidence did before the pool closed
 * sessions by `Credentials.sessionsEndAt`; one runs with a lifetime longer than the lease. Where a
 * lease ends with no successor (Vault sealed through its end), only `sessionsEndAt` closes its
 * sessions in time: that run fails without it.
 */
const CALLERS = 16;
const LIFETIME = '1s';

let server: TestPostgres;
let vault: VaultEmulator;
let view: ServerView;

beforeAll(async () => {
  server = await startTestPostgres();
  view = await ServerView.open(server, []);
});
beforeEach(async () => {
  vault = await new VaultEmulator(server).start();
});
afterEach(() => vault.stop());
afterAll(async () => {
  await view.close();
  await server.stop();
});

/** Samples the server every 50 ms until stopped; every session found alive past its lease's end. */
function watchLateSessions(): { stop(): Promise<LateSession[]> } {
  const found: LateSession[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      found.push(...(await sessionsPastLeaseEnd(view, vault)));
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return found;
    },
  };
}

/** Runs CALLERS callers until `done` holds (at least `minMs`), recording which users served them. */
async function loadThrough(db: DbService, minMs: number, done: () => boolean, maxMs: number) {
  const users = new Set<string>();
  const late = watchLateSessions();
  const load = await runLoad(
    CALLERS,
    minMs,
    async () => {
      const { rows } = await db.query<{ who: string }>('SELECT current_user AS who, pg_sleep(0.002)');
      users.add(rows[0]!.who);
    },
    { until: done, maxMs },
  );
  return { load, users, late: await late.stop() };
}

describe(`Vault dynamic credentials under load (${CALLERS} callers)`, () => {
  it('through lease renewals and a max-TTL cut-over to a new user: 0 failed queries, no session past its lease, no role left after shutdown', async () => {
    // A lease of 9 s renewed at two thirds (6 s, 10 s…) reaches its 20 s max TTL: the renewal at ~16 s
    // gets 4 s instead of 9, so new credentials are read then, and the first user's lease ends at 20 s.
    vault.addRole('app', { defaultTtlMs: 9_000, maxTtlMs: 20_000, grantStatements: [GRANT] });
    const db = await vaultDb(server, vault, { role: 'app' }, { connectionMaxLifetime: LIFETIME });
    const first = () => vault.leases[0];
    const { load, users, late } = await loadThrough(
      db,
      5_000,
      // Until the first lease has ended in Vault (its role dropped), with its successor serving.
      () => first()?.revokedAt !== undefined && vault.leases.length >= 2,
      40_000,
    );
    const stats = db.stats();
    await db.onApplicationShutdown();

    expect(load.errors.map(String)).toEqual([]);
    expect(load.succeeded).toBeGreaterThan(1_000);
    expect(first()).toMatchObject({ revokedBy: 'expiry' });
    expect(first()!.renewals).toBeGreaterThanOrEqual(2);
    // Renewed to the end of its max TTL, then replaced before it.
    expect(first()!.expiresAt).toBe(first()!.maxExpiresAt);
    expect(users).toEqual(new Set(vault.leases.slice(0, users.size).map((lease) => lease.username)));
    expect(users.size).toBeGreaterThanOrEqual(2);
    expect(stats.credentialRotations).toBeGreaterThanOrEqual(1);
    expect(late).toEqual([]);
    expect(vault.liveLeases()).toEqual([]);
    expect(await vaultRolesLeft(server)).toEqual([]);
  }, 60_000);

  it("with connectionMaxLifetime longer than the lease (12 s): the old user's sessions still end before its lease, 0 failed queries", async () => {
    vault.addRole('app', { defaultTtlMs: 9_000, maxTtlMs: 20_000, grantStatements: [GRANT] });
    // The cut-over retires the old user's connections (rotation), and sessionsEndAt caps what is left.
    const db = await vaultDb(server, vault, { role: 'app' }, { connectionMaxLifetime: '12s' });
    const first = () => vault.leases[0];
    const { load, users, late } = await loadThrough(
      db,
      5_000,
      () => first()?.revokedAt !== undefined && vault.leases.length >= 2,
      40_000,
    );
    const stats = db.stats();
    await db.onApplicationShutdown();

    expect(load.errors.map(String)).toEqual([]);
    expect(first()).toMatchObject({ revokedBy: 'expiry' });
    expect(users.size).toBeGreaterThanOrEqual(2);
    expect(stats.credentialRotations).toBeGreaterThanOrEqual(1);
    expect(late).toEqual([]);
    expect(await vaultRolesLeft(server)).toEqual([]);
  }, 60_000);

  it("through the Vault token's end (AppRole: renew-self up to its max TTL, then a new login and a new lease): 0 failed queries, no session past its lease", async () => {
    vault.addRole('app', { defaultTtlMs: 600_000, maxTtlMs: 600_000, grantStatements: [GRANT] });
    // A token of 9 s renewed at two thirds reaches its 20 s max TTL: its leases end with it.
    vault.addAppRole('app', { roleId: 'role-id-load', secretId: 'secret-id-load' }, { ttlMs: 9_000, maxTtlMs: 20_000 });
    const db = await vaultDb(
      server,
      vault,
      { role: 'app', token: undefined, appRole: { roleId: 'role-id-load', secretId: 'secret-id-load' } },
      { connectionMaxLifetime: LIFETIME },
    );
    const { load, users, late } = await loadThrough(
      db,
      5_000,
      () => vault.leases[0]?.revokedAt !== undefined && vault.leases.length >= 2,
      40_000,
    );
    await db.onApplicationShutdown();

    expect(load.errors.map(String)).toEqual([]);
    expect(vault.leases[0]).toMatchObject({ revokedBy: 'token' });
    expect(vault.calls['renew-self']).toBeGreaterThanOrEqual(2);
    expect(vault.calls.login).toBeGreaterThanOrEqual(2);
    expect(users.size).toBeGreaterThanOrEqual(2);
    expect(late).toEqual([]);
    expect(await vaultRolesLeft(server)).toEqual([]);
  }, 60_000);
});

describe('the late-session probe', () => {
  it('negative control: finds a session kept open past its lease (Vault dropped its role, the session runs on)', async () => {
    vault.addRole('app', { defaultTtlMs: 1_000, maxTtlMs: 1_000 });
    const db = await vaultDb(server, vault, { role: 'app', revokeOnShutdown: false });
    const client = await db.pool.connect();
    try {
      // The lease this session logged in with (a renewal cut short by the 1 s max TTL may have read a second one).
      const { rows } = await client.query<{ who: string }>('SELECT current_user AS who');
      const lease = vault.leases.find((candidate) => candidate.username === rows[0]!.who)!;
      await eventually('the lease to end', () => lease.revokedAt !== undefined, 10_000);
      expect(await sessionsPastLeaseEnd(view, vault)).toEqual([expect.objectContaining({ why: 'role dropped' })]);
    } finally {
      client.release(true);
      await db.onApplicationShutdown();
    }
  });
});

describe('a sealed Vault', () => {
  it('through the end of the lease: its sessions are closed before Vault drops the user (sessionsEndAt), none left running as a dropped role', async () => {
    vault.addRole('app', { defaultTtlMs: 9_000, maxTtlMs: 600_000, grantStatements: [GRANT] });
    // A lifetime far longer than the lease: only sessionsEndAt ends these sessions before the lease does.
    const db = await vaultDb(server, vault, { role: 'app' }, { connectionMaxLifetime: '1m', connectionTimeout: '2s' });
    const late = watchLateSessions();
    const load = startLoad(4, () => db.query('SELECT pg_sleep(0.002)'), { pauseAfterFailureMs: 100 });
    try {
      await eventually('the load to run', () => load.succeeded > 100);
      vault.seal();
      // The renewal at 6 s fails; the lease ends at 9 s with no successor, and Vault drops its user.
      await eventually('the lease to end', () => vault.leases[0]?.revokedAt !== undefined, 15_000);
      await new Promise((resolve) => setTimeout(resolve, 500));
    } finally {
      await load.stop();
      vault.unseal();
    }
    const found = await late.stop();
    await db.onApplicationShutdown();

    expect(vault.leases[0]).toMatchObject({ revokedBy: 'expiry' });
    expect(found).toEqual([]);
  }, 60_000);

  it('is an outage: cached credentials serve new logins (0 failed queries), health degraded naming the 503, up again once unsealed', async () => {
    // A 9 s lease is renewed at 6 s: that renewal fails while sealed, 3 s before the lease ends.
    vault.addRole('app', { defaultTtlMs: 9_000, maxTtlMs: 600_000, grantStatements: [GRANT] });
    const moduleRef = await Test.createTestingModule({
      imports: [
        TerminusModule,
        DatabaseModule.forRoot({
          name: 'vault',
          dsn: `postgresql://${server.host}:${server.port}/postgres`,
          vault: { address: vault.address, token: vault.rootToken, role: 'app' },
          maxOpenConnections: 8,
          maxIdleConnections: 4,
          connectionMaxLifetime: LIFETIME,
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
        // Connections kept reaching their 1 s lifetime: new logins went on with the cached credentials.
        const retiredWhileSealed = db.stats().maxLifetimeClosed - closedAtSeal;
        vault.unseal();
        await eventually('health up again', async () => (await statusOf()).status === 'up', 10_000);
        await load.stop();

        expect(degraded!.credentials?.lastError).toMatch(/Vault lease renewal failed: HTTP 503: Vault is sealed/);
        expect(retiredWhileSealed).toBeGreaterThan(0);
        expect(load.failures.map(({ error }) => String(error))).toEqual([]);
        // The lease outlived the outage and was renewed once Vault answered again.
        expect(vault.leases).toHaveLength(1);
        expect(vault.leases[0]!.renewals).toBeGreaterThanOrEqual(1);
      } finally {
        await load.stop();
      }
    } finally {
      await app.close();
    }
  }, 60_000);
});

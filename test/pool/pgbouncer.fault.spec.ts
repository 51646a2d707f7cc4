import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DbService } from '../../src/index.js';
import { rotateSecret, SecretsManagerEmulator, startTestPostgres, type TestPostgres } from '../../src/testing/index.js';
import { runLoad, sleep } from '../support/load.js';
import { findPgBouncer, startPgBouncer, type PgBouncer } from '../support/pgbouncer.js';
import { createTestRole } from '../support/roles.js';

const LOAD_MS = 15_000;
const CONCURRENCY = 16;
const MAX_LIFETIME_MS = 1_000;

const binary = findPgBouncer();
const missing = 'pgbouncer is not installed (apt-get install pgbouncer; .ci/run installs it)';
if (!binary && !process.env.CI) process.stdout.write(`SKIP test/pool/pgbouncer.fault.spec.ts: ${missing}\n`);
// On a laptop without pgbouncer the file skips; in CI a missing pgbouncer is a broken machine.
const describeWithPgBouncer = binary || process.env.CI ? describe : describe.skip;

let server: TestPostgres;
let emulator: SecretsManagerEmulator;
let secrets: SecretsManagerClient;

const report = (line: string) => process.env.REPORT_FIGURES && process.stdout.write(`FIGURES pgbouncer: ${line}\n`);

async function oldestBackendSeconds(username: string): Promise<number> {
  const { rows } = await server.admin(
    'SELECT coalesce(extract(epoch FROM max(clock_timestamp() - backend_start)), 0)::float8 AS oldest FROM pg_stat_activity WHERE usename = $1',
    [username],
  );
  return rows[0].oldest;
}

interface Case {
  poolMode: 'transaction' | 'session';
}

const cases: [string, Case][] = [
  ['transaction pooling', { poolMode: 'transaction' }],
  ['session pooling', { poolMode: 'session' }],
  // Not with a short server_lifetime: PgBouncer logs in to PostgreSQL with the SCRAM keys of a
  // client's earlier login, so a server login between setSecret and the next client login fails,
  // and PgBouncer then refuses every new server login for server_login_retry (15 s), failing
  // queries ("server login has been failing"). Seen with server_lifetime 2 s; the README says so.
];

describeWithPgBouncer('behind PgBouncer (auth_query, scram-sha-256)', () => {
  beforeAll(async () => {
    if (!binary) throw new Error(`${missing}; CI is set, so this file fails instead of skipping`);
    process.env.AWS_ACCESS_KEY_ID = 'AKIDEXAMPLETEST00004';
    process.env.AWS_SECRET_ACCESS_KEY = 'emulator-secret';
    server = await startTestPostgres();
    emulator = await new SecretsManagerEmulator().start();
    secrets = new SecretsManagerClient({ region: 'us-east-1', endpoint: emulator.endpoint });
  });

  afterAll(async () => {
    secrets?.destroy();
    await emulator?.stop();
    await server?.stop();
  });

  it.each(cases)(
    `%s: Secrets Manager single-user rotations (2 s between setSecret and finishSecret) under load at concurrency ${CONCURRENCY} for ${LOAD_MS / 1000} s fail 0 queries`,
    async (name, { poolMode }) => {
      const role = await createTestRole(server, 'pgb');
      const bouncer: PgBouncer = await startPgBouncer(server, { databases: [role.username], poolMode });
      try {
        const secretId = `prod/pgbouncer-${poolMode}`;
        emulator.createSecret(secretId, { engine: 'postgres', username: role.username, password: role.password });
        const db = await DbService.create({
          dsn: `postgresql://${role.username}@${bouncer.host}:${bouncer.port}/${role.username}`,
          secretsManager: { secretId, region: 'us-east-1', endpoint: emulator.endpoint, refreshInterval: '1h' },
          maxOpenConnections: 8,
          maxIdleConnections: 4,
          // Short, so logins to PgBouncer keep happening and each rotation meets refused ones.
          connectionMaxLifetime: `${MAX_LIFETIME_MS}ms`,
        });
        let rotations = 0;
        const rotating = (async () => {
          for (let at = Date.now(); Date.now() - at < LOAD_MS - 5_000; rotations++) {
            await sleep(1_500);
            // The rotation Lambda talks to the database directly, as AWS's templates do.
            await rotateSecret({
              client: secrets,
              secretId,
              admin: server.admin,
              server: { host: server.host, port: server.port, database: role.username },
              strategy: 'single-user',
              pauseAfterSetMs: 2_000,
            });
          }
        })();
        const load = await runLoad(CONCURRENCY, LOAD_MS, () => db.query('SELECT pg_sleep(0.002)'));
        await rotating;
        const stats = db.stats();
        const oldestBackend = await oldestBackendSeconds(role.username);
        const pools = await bouncer.console('SHOW POOLS');
        // PgBouncer's own logins to PostgreSQL as the role (its log names them "db/user@host").
        const serverLogins = (await bouncer.log())
          .split('\n')
          .filter(
            (line) => line.includes(`${role.username}/${role.username}@`) && line.includes('new connection to server'),
          ).length;
        await db.onApplicationShutdown();

        const serverConnections = pools
          .filter((pool) => pool.user === role.username)
          .reduce((sum, pool) => sum + Number(pool.sv_active) + Number(pool.sv_idle) + Number(pool.sv_used), 0);
        report(
          `${name}: ${load.succeeded} ok, ${load.failed} failed, ${rotations} rotations; ` +
            `module: ${stats.opened} logins to PgBouncer, ${stats.maxLifetimeClosed} closed at max lifetime (${MAX_LIFETIME_MS} ms), ` +
            `${stats.authFailures} refused, ${stats.authRecoveries} recovered, ${stats.credentialRotations} credential rotations; ` +
            `PgBouncer → PostgreSQL: ${serverLogins} logins, ${serverConnections} server connections at the end, oldest backend ${oldestBackend.toFixed(1)} s`,
        );
        expect(load.errors).toEqual([]);
        expect(load.failed).toBe(0);
        expect(load.succeeded).toBeGreaterThan(1_000);
        expect(rotations).toBeGreaterThanOrEqual(2);
        expect(stats.credentialRotations).toBe(rotations);
        // PgBouncer checks each login against pg_shadow: the old password is refused after setSecret.
        expect(stats.authFailures).toBeGreaterThan(0);
        expect(stats.authRecoveries).toBeGreaterThan(0);
        // connectionMaxLifetime governs the module's connections to PgBouncer…
        expect(stats.maxLifetimeClosed).toBeGreaterThan(LOAD_MS / MAX_LIFETIME_MS);
        // …not PgBouncer's own connections to PostgreSQL, which outlive it: server_lifetime governs those.
        expect(oldestBackend).toBeGreaterThan(5 * (MAX_LIFETIME_MS / 1000));
      } finally {
        await bouncer.stop();
      }
    },
    LOAD_MS + 30_000,
  );
});

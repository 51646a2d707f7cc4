import { inspect } from 'node:util';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DbService } from '../../../src/index.js';
import {
  rotateSecret,
  SecretsManagerEmulator,
  startTestPostgres,
  type TestPostgres,
} from '../../../src/testing/index.js';
import { eventually, runLoad, sleep } from '../../support/load.js';
import { createTestRole } from '../../support/roles.js';

let server: TestPostgres;
let emulator: SecretsManagerEmulator;
let admin: SecretsManagerClient;

beforeAll(async () => {
  process.env.AWS_ACCESS_KEY_ID = 'AKIDEXAMPLETEST00002';
  process.env.AWS_SECRET_ACCESS_KEY = 'emulator-secret';
  server = await startTestPostgres();
});

beforeEach(async () => {
  emulator = await new SecretsManagerEmulator().start();
  admin = new SecretsManagerClient({ region: 'us-east-1', endpoint: emulator.endpoint });
});

afterEach(async () => {
  admin.destroy();
  await emulator.stop();
});

afterAll(() => server.stop());

async function secretBackedDb(secretId: string, dsn: string, refreshInterval = '1h') {
  return DbService.create({
    dsn,
    secretsManager: { secretId, region: 'us-east-1', endpoint: emulator.endpoint, refreshInterval },
    maxOpenConnections: 8,
    maxIdleConnections: 4,
    connectionMaxLifetime: '1s',
  });
}

const serverAddress = () => ({ host: server.host, port: server.port, database: 'postgres' });

describe('Secrets Manager rotation through the emulator', () => {
  it('single user, with a 3 s window between setSecret and finishSecret: zero failed queries, at most 2 reads per rotation', async () => {
    const role = await createTestRole(server);
    emulator.createSecret('prod/app', { engine: 'postgres', username: role.username, password: role.password });
    const db = await secretBackedDb('prod/app', role.bareDsn);
    const readsAtStart = emulator.calls.GetSecretValue ?? 0;
    const steps: string[] = [];
    const rotations = (async () => {
      for (let i = 0; i < 2; i++) {
        await sleep(2_000);
        await rotateSecret({
          client: admin,
          secretId: 'prod/app',
          admin: server.admin,
          server: serverAddress(),
          strategy: 'single-user',
          pauseAfterSetMs: 3_000,
          onStep: (step) => steps.push(step),
        });
      }
    })();
    const load = await runLoad(16, 14_000, () => db.query('SELECT pg_sleep(0.002)'));
    await rotations;
    const stats = db.stats();
    await db.onApplicationShutdown();

    expect(steps).toEqual([
      'createSecret',
      'setSecret',
      'testSecret',
      'finishSecret',
      'createSecret',
      'setSecret',
      'testSecret',
      'finishSecret',
    ]);
    expect(load.errors).toEqual([]);
    expect(load.failed).toBe(0);
    expect(stats.authFailures).toBeGreaterThan(0);
    // AWSCURRENT (still the refused one) then AWSPENDING: two reads per rotation per pool, whatever the concurrency.
    // (rotateSecret itself reads AWSCURRENT once per rotation.)
    const poolReads = (emulator.calls.GetSecretValue ?? 0) - readsAtStart - 2;
    expect(poolReads).toBeGreaterThanOrEqual(2);
    expect(poolReads).toBeLessThanOrEqual(2 * 2);
    expect(stats.credentialRotations).toBe(2);
  }, 40_000);

  it('alternating users: zero failed queries, a new generation on the new username, the old one drained', async () => {
    const user = await createTestRole(server, 'alt');
    await server.admin(`CREATE ROLE ${user.username}_clone LOGIN PASSWORD 'unused-until-rotation'`);
    emulator.createSecret('prod/alt', { username: user.username, password: user.password });
    const db = await secretBackedDb('prod/alt', user.bareDsn, '1s');
    const rotation = (async () => {
      await sleep(2_000);
      return rotateSecret({
        client: admin,
        secretId: 'prod/alt',
        admin: server.admin,
        server: serverAddress(),
        strategy: 'alternating-users',
        pauseAfterSetMs: 1_000,
      });
    })();
    const load = await runLoad(16, 8_000, () => db.query('SELECT pg_sleep(0.002)'));
    const { username } = await rotation;

    expect(load.failed).toBe(0);
    expect(username).toBe(`${user.username}_clone`);
    await eventually(
      'the old generation to drain',
      () => db.stats().generations === 1 && db.stats().credentials.username === username,
    );
    const { rows } = await server.admin('SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = $1', [
      user.username,
    ]);
    expect(rows[0].n).toBe(0);
    expect((await db.query<{ u: string }>('SELECT current_user AS u')).rows[0]!.u).toBe(username);
    expect(db.stats().rotationClosed).toBeGreaterThan(0);
    await db.onApplicationShutdown();
  }, 30_000);

  it('an outage of Secrets Manager with unchanged credentials fails zero queries and shows in the status', async () => {
    const role = await createTestRole(server);
    emulator.createSecret('prod/steady', { username: role.username, password: role.password });
    const db = await secretBackedDb('prod/steady', role.bareDsn, '1s');
    emulator.fault = 'internal-error';
    const outage = runLoad(8, 10_000, () => db.query('SELECT 1'));
    await eventually('the failed refresh to show', () => db.stats().credentials.consecutiveFailures > 0, 8_000);
    const load = await outage;
    const during = db.stats().credentials;
    emulator.fault = undefined;
    await eventually('recovery', () => db.stats().credentials.consecutiveFailures === 0, 30_000);

    expect(load.failed).toBe(0);
    expect(during.lastError).toMatch(/InternalServiceError/);
    expect(JSON.stringify(db.stats())).not.toContain(role.password);
    expect(inspect(db, { depth: Infinity })).not.toContain(role.password);
    expect(db.stats().credentialRefreshFailures).toBeGreaterThan(0);
    await db.onApplicationShutdown();
  }, 60_000);
});

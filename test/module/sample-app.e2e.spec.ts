import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { DbService } from '../../src/index.js';
import { AppModule } from '../../sample-app/src/app.module.js';
import { type DemoEnvironment, startDemoEnvironment } from '../../sample-app/src/demo-environment.js';
import { startTelemetry, type Telemetry } from '../../sample-app/src/metrics/telemetry.js';
import { eventually, runLoad } from '../support/load.js';

let demo: DemoEnvironment;
let app: INestApplication;
let telemetry: Telemetry;

beforeAll(async () => {
  demo = await startDemoEnvironment({ lifetime: '1s', refreshInterval: '1h' });
  telemetry = startTelemetry();
  const moduleRef = await Test.createTestingModule({
    imports: [AppModule.register(demo.database, telemetry.exporter)],
  }).compile();
  app = moduleRef.createNestApplication({ logger: false });
  await app.init();
});

afterAll(async () => {
  await app?.close();
  await telemetry?.stop();
  await demo?.stop();
});

function health() {
  return request(app.getHttpServer()).get('/health');
}

describe('the sample app over HTTP', () => {
  it('writes and reads notes through DbService, validating input', async () => {
    const created = await request(app.getHttpServer()).post('/notes').send({ text: 'rotate me' }).expect(201);
    expect(created.body).toMatchObject({ id: expect.any(Number), text: 'rotate me' });
    await request(app.getHttpServer()).post(`/notes/${created.body.id}/copy`).expect(201);
    const listed = await request(app.getHttpServer()).get('/notes?limit=5').expect(200);
    expect(listed.body.map((note: { text: string }) => note.text)).toEqual(['copy of: rotate me', 'rotate me']);
    await request(app.getHttpServer()).post('/notes').send({ text: '' }).expect(400);
    await request(app.getHttpServer()).get('/notes?limit=1000').expect(400);
  });

  it('reports pool stats and credential status on /health, counters growing across rotations, no secret in the body', async () => {
    const before = (await health().expect(200)).body.details.database;
    expect(before).toMatchObject({
      status: 'up',
      credentials: { source: 'secrets-manager', username: 'notes_app', consecutiveFailures: 0 },
    });

    const rotations = (async () => {
      await demo.rotate();
      await demo.rotate();
    })();
    const load = await runLoad(4, 6_000, () => request(app.getHttpServer()).get('/notes?limit=1').expect(200));
    await rotations;
    await runLoad(2, 2_000, () => request(app.getHttpServer()).get('/notes?limit=1').expect(200));

    expect(load.failed).toBe(0);
    const response = await health().expect(200);
    const after = response.body.details.database;
    expect(after.pool.maxLifetimeClosed).toBeGreaterThan(before.pool.maxLifetimeClosed);
    expect(after.pool.credentialRotations).toBeGreaterThanOrEqual(before.pool.credentialRotations + 2);
    const { password } = await demo.currentSecret();
    expect(response.text).not.toContain(password);
    expect(response.text).not.toMatch(/password/i);
  }, 30_000);

  it('serves the pool metrics in Prometheus format on /metrics: connections closed at their lifetime keep growing across a rotation', async () => {
    const lifetimeCloses = async () => {
      const response = await request(app.getHttpServer()).get('/metrics').expect(200);
      expect(response.headers['content-type']).toMatch(/^text\/plain/);
      const sample = prometheusSample(response.text, 'rotating_pg_connection_closed_total', {
        db_client_connection_pool_name: 'default',
        rotating_pg_close_reason: 'lifetime',
      });
      return { value: sample, text: response.text };
    };
    await runLoad(2, 1_500, () => request(app.getHttpServer()).get('/notes?limit=1').expect(200));
    const before = await lifetimeCloses();
    const rotation = demo.rotate();
    const load = await runLoad(4, 3_000, () => request(app.getHttpServer()).get('/notes?limit=1').expect(200));
    await rotation;
    await app.get(DbService).refreshCredentials();
    await eventually(
      'a connection closed at its lifetime after the rotation',
      async () => (await lifetimeCloses()).value > before.value + 1,
    );
    const after = await lifetimeCloses();

    expect(load.failed).toBe(0);
    expect(
      prometheusSample(after.text, 'db_client_connection_max', { db_client_connection_pool_name: 'default' }),
    ).toBe(10);
    expect(after.text).toMatch(/^db_client_connection_count\{[^}]*db_client_connection_state="idle"[^}]*\} \d+/m);
    expect(after.text).toMatch(/^db_client_connection_wait_time_bucket\{/m);
    expect(
      prometheusSample(after.text, 'rotating_pg_credentials_rotations_total', {
        db_client_connection_pool_name: 'default',
      }),
    ).toBeGreaterThanOrEqual(1);
    const { password } = await demo.currentSecret();
    expect(after.text).not.toContain(password);
    expect(after.text).not.toContain('notes_app');
  }, 30_000);

  it('reports degraded (still 200) while Secrets Manager fails and cached credentials serve', async () => {
    demo.secretsManager.fault = 'unavailable';
    await expect(app.get(DbService).refreshCredentials()).rejects.toThrow(/Secrets Manager GetSecretValue/);
    const degraded = await health().expect(200);
    expect(degraded.body.details.database).toMatchObject({
      status: 'degraded',
      credentials: { consecutiveFailures: 1, lastError: expect.stringMatching(/ServiceUnavailableException/) },
    });
    demo.secretsManager.fault = undefined;
    await app.get(DbService).refreshCredentials();
    expect((await health().expect(200)).body.details.database.status).toBe('up');
  }, 20_000);

  it('answers 503 when the database is down', async () => {
    await demo.postgres.stop();
    await eventually('the health check to fail', async () => (await health()).status === 503, 10_000);
    const response = await health();
    expect(response.body).toMatchObject({ status: 'error', error: { database: { status: 'down' } } });
  }, 20_000);
});

/** The value of one sample line of a Prometheus text exposition, matched by name and labels. */
function prometheusSample(text: string, name: string, labels: Record<string, string>): number {
  const matches = text.split('\n').filter((line) => {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) return false;
    return Object.entries(labels).every(([key, value]) => line.includes(`${key}="${value}"`));
  });
  if (matches.length !== 1) throw new Error(`${name} ${JSON.stringify(labels)}: ${matches.length} samples in\n${text}`);
  return Number(matches[0]!.split(' ').at(-1));
}

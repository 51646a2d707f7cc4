import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { DbService } from '../../src/index.js';
import { AppModule } from '../../sample-app/src/app.module.js';
import { type DemoEnvironment, startDemoEnvironment } from '../../sample-app/src/demo-environment.js';
import { eventually, runLoad } from '../support/load.js';

let demo: DemoEnvironment;
let app: INestApplication;

beforeAll(async () => {
  demo = await startDemoEnvironment({ lifetime: '1s', refreshInterval: '1h' });
  const moduleRef = await Test.createTestingModule({ imports: [AppModule.register(demo.database)] }).compile();
  app = moduleRef.createNestApplication({ logger: false });
  await app.init();
});

afterAll(async () => {
  await app?.close();
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
    expect(before).toMatchObject({ status: 'up', credentials: { source: 'secrets-manager', username: 'notes_app', consecutiveFailures: 0 } });

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

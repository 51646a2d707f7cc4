import { Controller, Get, Injectable, type INestApplication, Module, Param } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { Test } from '@nestjs/testing';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import request from 'supertest';
import {
  DatabaseModule,
  type DatabaseModuleOptions,
  type DatabaseOptionsFactory,
  type DbService,
  getDbServiceToken,
} from '../../src/index.js';
import { DatabaseHealthIndicator } from '../../src/health/index.js';
import {
  RdsIamProxy,
  rotateSecret,
  SecretsManagerEmulator,
  startTestPostgres,
  type TestPostgres,
} from '../../src/testing/index.js';
import { iamProxyFor } from '../support/iam.js';
import { eventually } from '../support/load.js';
import { testMeterProvider } from '../support/metrics.js';
import { createTestRole, type TestRole } from '../support/roles.js';
import { ServerView } from '../support/server-view.js';

/**
 * Issue 23 (a): three connections registered together, each its own way and with its own source, login user and
 * cap. Whatever happens to one (a rotation, a manual refresh, an outage of its source) shows in its own stats,
 * backends, metrics and health only; app.close() ends all three.
 */
const CONNECTIONS = ['default', 'reports', 'audit'] as const;
type Name = (typeof CONNECTIONS)[number];
/** Different caps, so a metric that came from the wrong pool shows it. */
const MAX_OPEN: Record<Name, number> = { default: 3, reports: 4, audit: 5 };
const awsCredentials = { accessKeyId: 'AKIDEXAMPLEMANY00001', secretAccessKey: 'many-connections-secret' };
const metrics = testMeterProvider();

let server: TestPostgres;
let roles: Record<Name, TestRole>;
let secretsManager: SecretsManagerEmulator;
let proxy: RdsIamProxy;
let iamEndpoint: { host: string; port: number };
let view: ServerView;
let app: INestApplication;
let closed = false;
/** What the process held before the app: app.close() must give back everything above it. */
let resourcesBefore: Map<string, number>;

@Controller()
class ProbeController {
  constructor(
    private readonly moduleRef: ModuleRef,
    private readonly health: HealthCheckService,
    private readonly database: DatabaseHealthIndicator,
  ) {}

  @Get('whoami/:connection')
  async whoami(@Param('connection') connection: string) {
    const { rows } = await db(this.moduleRef, connection).query<{ user: string }>('SELECT current_user AS user');
    return rows[0];
  }

  @Get('health/:connection')
  @HealthCheck()
  check(@Param('connection') connection: string) {
    return this.health.check([() => this.database.isHealthy('database', { connection })]);
  }
}

function db(moduleRef: Pick<ModuleRef, 'get'>, connection: string): DbService {
  return moduleRef.get<DbService>(getDbServiceToken(connection), { strict: false });
}

/** The audit connection's options come from a class of the app's own, as forRootAsync's useClass takes it. */
@Injectable()
class AuditOptions implements DatabaseOptionsFactory {
  createDatabaseOptions(): DatabaseModuleOptions {
    return {
      name: 'audit',
      dsn: `postgresql://${roles.audit.username}@${iamEndpoint.host}:${iamEndpoint.port}/${roles.audit.username}`,
      awsIamAuth: { enabled: true, region: 'us-east-1', allowPlaintext: true },
      maxOpenConnections: MAX_OPEN.audit,
      meterProvider: metrics.provider,
    };
  }
}

@Module({ providers: [AuditOptions], exports: [AuditOptions] })
class AuditOptionsModule {}

function appModules() {
  return [
    TerminusModule,
    DatabaseModule.forRoot({
      dsn: roles.default.dsn,
      maxOpenConnections: MAX_OPEN.default,
      meterProvider: metrics.provider,
    }),
    DatabaseModule.forRootAsync({
      name: 'reports',
      imports: [
        ConfigModule.forRoot({
          ignoreEnvFile: true,
          load: [
            () => ({
              reports: {
                name: 'reports',
                dsn: roles.reports.bareDsn,
                secretsManager: { secretId: 'reports/db', region: 'us-east-1', endpoint: secretsManager.endpoint },
                maxOpenConnections: MAX_OPEN.reports,
              },
            }),
          ],
        }),
      ],
      inject: [ConfigService],
      useFactory: (config: ConfigService) => ({
        ...config.getOrThrow<DatabaseModuleOptions>('reports'),
        meterProvider: metrics.provider,
      }),
    }),
    DatabaseModule.forRootAsync({ name: 'audit', imports: [AuditOptionsModule], useClass: AuditOptions }),
  ];
}

/** Handles, timers and sockets the process holds, by kind. */
function activeResources(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const kind of process.getActiveResourcesInfo()) counts.set(kind, (counts.get(kind) ?? 0) + 1);
  return counts;
}

function resourcesAbove(before: Map<string, number>): string[] {
  return [...activeResources()]
    .filter(([kind, count]) => count > (before.get(kind) ?? 0))
    .map(([kind, count]) => `${kind}: ${count} (before the app: ${before.get(kind) ?? 0})`);
}

function service(name: Name): DbService {
  return db(app, name);
}

/** The backend pids of each connection's login user, as the server sees them. */
async function backendsByUser(): Promise<Record<Name, number[]>> {
  const backends = await view.backends();
  const pidsOf = (name: Name) => backends.filter((b) => b.usename === roles[name].username).map((b) => b.pid);
  return { default: pidsOf('default'), reports: pidsOf('reports'), audit: pidsOf('audit') };
}

/** Opens a couple of connections on every pool, so each has backends the others' events must leave alone. */
async function warmUp(): Promise<void> {
  await Promise.all(CONNECTIONS.flatMap((name) => [1, 2].map(() => service(name).query('SELECT pg_sleep(0.05)'))));
}

/**
 * Waits until the pool's count of its connections matches the server's: a rotation's closes have reached the
 * server, so nothing of this test's event is still under way when the next test looks at the others.
 */
async function settled(name: Name): Promise<void> {
  await eventually(
    `${name}: openConnections as pg_stat_activity counts them`,
    async () => service(name).stats().openConnections === (await backendsByUser())[name].length,
  );
}

function others(name: Name): Name[] {
  return CONNECTIONS.filter((other) => other !== name);
}

async function healthOf(name: Name): Promise<{ httpStatus: number; status?: string }> {
  const response = await request(app.getHttpServer()).get(`/health/${name}`);
  return { httpStatus: response.status, status: (response.body.details ?? response.body.error)?.database?.status };
}

beforeAll(async () => {
  process.env.AWS_ACCESS_KEY_ID = awsCredentials.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = awsCredentials.secretAccessKey;
  server = await startTestPostgres();
  roles = {
    default: await createTestRole(server, 'many_main'),
    reports: await createTestRole(server, 'many_reports'),
    audit: await createTestRole(server, 'many_audit'),
  };
  secretsManager = await new SecretsManagerEmulator().start();
  secretsManager.createSecret('reports/db', {
    engine: 'postgres',
    username: roles.reports.username,
    password: roles.reports.password,
  });
  proxy = iamProxyFor(server, roles.audit, { credentials: awsCredentials });
  iamEndpoint = await proxy.start();
  view = await ServerView.open(
    server,
    CONNECTIONS.map((name) => roles[name].username),
  );
  resourcesBefore = activeResources();
  const moduleRef = await Test.createTestingModule({
    imports: appModules(),
    controllers: [ProbeController],
    providers: [DatabaseHealthIndicator],
  }).compile();
  app = moduleRef.createNestApplication({ logger: false });
  await app.init();
});

afterAll(async () => {
  // The last test closes the app; this is for a run that failed before it.
  if (!closed) await app?.close();
  await view?.close();
  await proxy?.stop();
  await secretsManager?.stop();
  await metrics.shutdown();
  await server?.stop();
});

describe('many named connections in one app', () => {
  it('each connection queries as its own user', async () => {
    for (const name of CONNECTIONS) {
      const response = await request(app.getHttpServer()).get(`/whoami/${name}`);
      expect({ name, status: response.status, user: response.body.user }).toEqual({
        name,
        status: 200,
        user: roles[name].username,
      });
    }
    const backends = await backendsByUser();
    for (const name of CONNECTIONS) expect(backends[name].length).toBeGreaterThanOrEqual(1);
  });

  it("a rotation of the reports secret changes the reports pool only: the others' stats and backends stay as they were", async () => {
    await warmUp();
    const statsBefore = Object.fromEntries(CONNECTIONS.map((name) => [name, service(name).stats()]));
    const backendsBefore = await backendsByUser();

    // The rotation Lambda's own client, closed after it so its sockets are not counted as the app's.
    const lambdaClient = new SecretsManagerClient({
      region: 'us-east-1',
      endpoint: secretsManager.endpoint,
      credentials: awsCredentials,
    });
    await rotateSecret({
      client: lambdaClient,
      secretId: 'reports/db',
      admin: (sql) => view.admin(sql),
      server: { host: server.host, port: server.port, database: roles.reports.username },
      strategy: 'single-user',
    }).finally(() => lambdaClient.destroy());
    await service('reports').refreshCredentials();
    // New logins of reports now need the rotated password: a burst wider than its idle set makes some.
    await Promise.all([1, 2, 3].map(() => service('reports').query('SELECT pg_sleep(0.05)')));

    const reports = service('reports').stats();
    expect(reports.credentialRotations).toBe(statsBefore.reports!.credentialRotations + 1);
    expect(reports.credentialRefreshes).toBe(statsBefore.reports!.credentialRefreshes + 1);
    for (const name of others('reports'))
      expect({ name, stats: service(name).stats() }).toEqual({ name, stats: statsBefore[name] });
    const backendsAfter = await backendsByUser();
    for (const name of others('reports'))
      expect({ name, pids: backendsAfter[name] }).toEqual({ name, pids: backendsBefore[name] });
    expect(backendsAfter.reports).not.toEqual(backendsBefore.reports);
    await settled('reports');
  });

  it("refreshCredentials() on audit signs a new token for audit alone; the others' stats and backends stay as they were", async () => {
    await warmUp();
    const statsBefore = Object.fromEntries(CONNECTIONS.map((name) => [name, service(name).stats()]));
    const backendsBefore = await backendsByUser();

    await service('audit').refreshCredentials();
    await settled('audit');

    expect(service('audit').stats().credentialRefreshes).toBe(statsBefore.audit!.credentialRefreshes + 1);
    for (const name of others('audit'))
      expect({ name, stats: service(name).stats() }).toEqual({ name, stats: statsBefore[name] });
    const backendsAfter = await backendsByUser();
    for (const name of others('audit'))
      expect({ name, pids: backendsAfter[name] }).toEqual({ name, pids: backendsBefore[name] });
  });

  it("metrics carry each connection's name, with its own cap and its own fetches", async () => {
    const collected = await metrics.collect();
    for (const name of CONNECTIONS) {
      const pool = { 'db.client.connection.pool.name': name };
      expect({ name, max: collected.value('db.client.connection.max', pool) }).toEqual({ name, max: MAX_OPEN[name] });
      const fetches = collected
        .points('rotating_pg.credentials.fetches', { ...pool, 'rotating_pg.fetch.outcome': 'success' })
        .reduce((sum, point) => sum + point.value, 0);
      expect({ name, fetches }).toEqual({ name, fetches: service(name).stats().credentialRefreshes });
    }
  });

  it('an outage of the Secrets Manager degrades the reports connection only', async () => {
    for (const name of CONNECTIONS)
      expect({ name, ...(await healthOf(name)) }).toEqual({ name, httpStatus: 200, status: 'up' });
    secretsManager.fault = 'internal-error';
    try {
      await expect(service('reports').refreshCredentials()).rejects.toThrow();
      expect(await healthOf('reports')).toEqual({ httpStatus: 200, status: 'degraded' });
      for (const name of others('reports'))
        expect({ name, ...(await healthOf(name)) }).toEqual({ name, httpStatus: 200, status: 'up' });
    } finally {
      secretsManager.fault = undefined;
    }
    await service('reports').refreshCredentials();
    expect((await healthOf('reports')).status).toBe('up');
  });

  it('app.close() ends every connection: no backend of any of the three users, no timer or socket left', async () => {
    await warmUp();
    expect((await view.backends()).length).toBeGreaterThanOrEqual(CONNECTIONS.length);
    closed = true;
    await app.close();
    expect(await view.drained(10_000)).toEqual([]);
    // Sockets close a moment after the server has seen them go: poll for the process's own view too.
    await eventually(
      `nothing left of the app (${resourcesAbove(resourcesBefore).join('; ')})`,
      () => resourcesAbove(resourcesBefore).length === 0,
    ).catch(() => undefined);
    expect(resourcesAbove(resourcesBefore)).toEqual([]);
  });
});

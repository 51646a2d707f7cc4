import { Controller, Get, type INestApplication, Param } from '@nestjs/common';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { Test } from '@nestjs/testing';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { DatabaseModule, type DatabaseModuleOptions, DbService, getDbServiceToken } from '../../../src/index.js';
import { DatabaseHealthIndicator } from '../../../src/health/index.js';
import { metricNames } from '../../../src/metrics/metric-names.js';
import {
  RdsIamProxy,
  startTestPostgres,
  testCertificate,
  type TestCertificate,
  type TestPostgres,
} from '../../../src/testing/index.js';
import { eventually, runLoad } from '../../support/load.js';
import { testMeterProvider } from '../../support/metrics.js';
import { createTestRole, type TestRole } from '../../support/roles.js';
import { useTempFolder } from '../../support/temp-folder.js';

/**
 * Issue 23: a reader endpoint, a replica or RDS Proxy is a named connection of its own, and an
 * IAM token is signed for the host and port that connection logs in to. Three RDS IAM fronts on one
 * embedded PostgreSQL stand for the writer endpoint (127.0.0.1), the reader endpoint (`localhost`)
 * and RDS Proxy (`localhost`, TLS required); each refuses a token signed for any other host:port,
 * so a token meant for the writer that reached the reader would be a refused login.
 */
const testCredentials = {
  accessKeyId: 'AKIDEXAMPLEREADERS01',
  secretAccessKey: 'test-secret-access-key-for-the-readers',
};

@Controller('health')
class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: DatabaseHealthIndicator,
  ) {}

  @Get(':connection')
  @HealthCheck()
  check(@Param('connection') connection: string) {
    return this.health.check([() => this.database.isHealthy('database', { connection })]);
  }
}

interface Front {
  role: TestRole;
  proxy: RdsIamProxy;
  /** The host the application connects to, and so signs for. */
  host: string;
}

const caFolder = useTempFolder('readers-ca-');
let server: TestPostgres;
let certificate: TestCertificate;
let caFile: string;
const fronts = {} as Record<'writer' | 'reader' | 'rdsProxy', Front>;

/** An RDS IAM front for `role` whose tokens must be signed for `host` and the front's own port. */
async function startFront(role: TestRole, host: string, tls?: TestCertificate): Promise<Front> {
  const proxy = new RdsIamProxy({
    backend: { host: server.host, port: server.port },
    backendPassword: (user) => (user === role.username ? role.password : undefined),
    region: 'us-east-1',
    credentials: testCredentials,
    signingHost: host,
    // Tokens die 4 s after signing, so a run of several seconds goes through several refreshes.
    tokenLifetimeMs: 4_000,
    ...(tls ? { tls, requireTls: true } : {}),
  });
  await proxy.start();
  return { role, proxy, host };
}

/** Every host:port the tokens a front was given were signed for. */
function signedFor(front: Front): Set<string> {
  return new Set([...front.proxy.tokens].map((token) => new URL(`https://${token}`).host));
}

/** Options of a connection through `front` (the emulator speaks plain text unless it is the TLS one). */
function through(front: Front, overrides: Partial<DatabaseModuleOptions> = {}): DatabaseModuleOptions {
  return {
    host: front.host,
    port: front.proxy.port,
    database: front.role.username,
    user: front.role.username,
    maxOpenConnections: 4,
    maxIdleConnections: 2,
    // New logins all through the run, so tokens are used after refreshes too.
    connectionMaxLifetime: '1s',
    awsIamAuth: { enabled: true, region: 'us-east-1', tokenTtl: '1500ms', allowPlaintext: true },
    ...overrides,
  };
}

beforeAll(async () => {
  process.env.AWS_ACCESS_KEY_ID = testCredentials.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = testCredentials.secretAccessKey;
  server = await startTestPostgres();
  certificate = testCertificate();
  caFile = join(caFolder, 'ca.pem');
  writeFileSync(caFile, certificate.cert);
  fronts.writer = await startFront(await createTestRole(server, 'writer'), '127.0.0.1');
  fronts.reader = await startFront(await createTestRole(server, 'reader'), 'localhost');
  fronts.rdsProxy = await startFront(await createTestRole(server, 'viaproxy'), 'localhost', certificate);
});

afterAll(async () => {
  await Promise.all(Object.values(fronts).map((front) => front.proxy.stop()));
  await server?.stop();
});

/** RDS Proxy's way in: TLS verified against the CA (pg 8's sslmode=verify-full), token for the proxy's host. */
function rdsProxyDsn(): string {
  const { role, host, proxy } = fronts.rdsProxy;
  return `postgresql://${role.username}@${host}:${proxy.port}/${role.username}?sslmode=verify-full&sslrootcert=${caFile}`;
}

describe('named connections behind RDS IAM: writer, reader endpoint and RDS Proxy', () => {
  it('each signs for its own host through several token refreshes: no failed query, no refused login, and /health and the metrics report each under its name', async () => {
    const telemetry = testMeterProvider();
    const meter = { meterProvider: telemetry.provider };
    const moduleRef = await Test.createTestingModule({
      imports: [
        TerminusModule,
        DatabaseModule.forRoot({ ...through(fronts.writer), ...meter }),
        DatabaseModule.forRoot({ name: 'reader', ...through(fronts.reader), ...meter }),
        DatabaseModule.forRoot({
          name: 'rds-proxy',
          dsn: rdsProxyDsn(),
          maxOpenConnections: 4,
          maxIdleConnections: 2,
          connectionMaxLifetime: '1s',
          awsIamAuth: { enabled: true, region: 'us-east-1', tokenTtl: '1500ms' },
          ...meter,
        }),
      ],
      controllers: [HealthController],
      providers: [DatabaseHealthIndicator],
    }).compile();
    const app: INestApplication = moduleRef.createNestApplication({ logger: false });
    await app.init();
    try {
      const connections = {
        writer: app.get(DbService),
        reader: app.get<DbService>(getDbServiceToken('reader')),
        rdsProxy: app.get<DbService>(getDbServiceToken('rds-proxy')),
      };
      const names = { writer: 'default', reader: 'reader', rdsProxy: 'rds-proxy' } as const;
      const kinds = ['writer', 'reader', 'rdsProxy'] as const;

      // Four workers per connection, until every front has seen at least three tokens.
      const load = await runLoad(
        12,
        6_000,
        (worker) => connections[kinds[worker % 3]!].query('SELECT current_user AS who, pg_sleep(0.002)'),
        { until: () => kinds.every((kind) => fronts[kind].proxy.tokens.size >= 3), maxMs: 40_000 },
      );
      expect(load.errors).toEqual([]);
      expect(load.failed).toBe(0);

      // A login the load started may still be under way: the front counts it when it lets it in, the pool once the
      // login completes. Compare once they agree (a login counted by a front but never by its pool fails here).
      for (const kind of kinds)
        await eventually(
          `${kind}: the front's logins all counted by the pool`,
          () => fronts[kind].proxy.accepted === connections[kind].stats().opened,
        );
      const collected = await telemetry.collect();
      for (const kind of kinds) {
        const { proxy, host, role } = fronts[kind];
        expect({ kind, rejections: proxy.rejections }).toEqual({ kind, rejections: [] });
        expect(proxy.tokens.size).toBeGreaterThanOrEqual(3);
        expect({ kind, signedFor: [...signedFor(fronts[kind])] }).toEqual({
          kind,
          signedFor: [`${host}:${proxy.port}`],
        });
        const stats = connections[kind].stats();
        expect(stats.credentials).toMatchObject({ source: 'rds-iam', username: role.username });
        // Every login the front let in was this pool's, and the metrics count it under the connection's name.
        expect(proxy.accepted).toBe(stats.opened);
        const poolName = { 'db.client.connection.pool.name': names[kind] };
        expect(collected.value(metricNames.opened, poolName)).toBe(stats.opened);

        const { body } = await request(app.getHttpServer()).get(`/health/${names[kind]}`).expect(200);
        expect(body.details.database).toMatchObject({ status: 'up', credentials: { username: role.username } });
        expect(JSON.stringify(body)).not.toMatch(/X-Amz-Signature/);
      }
    } finally {
      await app.close();
      await telemetry.shutdown();
    }
  }, 90_000);

  it("negative control: a reader made to sign for the writer's host and port is refused by the reader endpoint", async () => {
    const { writer, reader } = fronts;
    const rejectedBefore = reader.proxy.rejections.length;
    const db = await DbService.create(
      through(reader, {
        name: 'reader',
        connectionTimeout: '2s',
        awsIamAuth: {
          enabled: true,
          region: 'us-east-1',
          allowPlaintext: true,
          signingHost: writer.host,
          signingPort: writer.proxy.port,
        },
      }),
    );
    const error = await db.query('SELECT 1').catch((caught: Error) => caught);
    await db.onApplicationShutdown();
    expect(error).toMatchObject({ name: 'DatabaseAuthError', code: '28000' });
    expect((error as Error).message).not.toMatch(/X-Amz-Signature/);
    const refusals = reader.proxy.rejections.slice(rejectedBefore);
    expect(refusals.length).toBeGreaterThan(0);
    expect(new Set(refusals)).toEqual(
      new Set([`signed for ${writer.host}:${writer.proxy.port}, not ${reader.host}:${reader.proxy.port}`]),
    );
  }, 20_000);

  it('RDS Proxy refuses the same IAM login without TLS, and the error points at TLS', async () => {
    const { rdsProxy } = fronts;
    const rejectedBefore = rdsProxy.proxy.rejections.length;
    const db = await DbService.create(through(rdsProxy, { connectionTimeout: '2s' }));
    const error = await db.query('SELECT 1').catch((caught: Error) => caught);
    await db.onApplicationShutdown();
    expect(error).toMatchObject({ name: 'DatabaseAuthError', code: '28000' });
    expect((error as Error).message).toMatch(/no pg_hba\.conf entry.*RDS requires TLS for IAM/);
    expect(rdsProxy.proxy.rejections.slice(rejectedBefore)).toEqual(['plaintext']);
  }, 20_000);
});

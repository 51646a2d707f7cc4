import { Controller, Get, type INestApplication, Param } from '@nestjs/common';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { type CredentialProvider, DatabaseModule, type DbService, getDbServiceToken } from '../../src/index.js';
import { DatabaseHealthIndicator } from '../../src/health/index.js';
import { freePort } from '../../src/testing/index.js';
import { useTestDatabase } from '../support/roles.js';

/**
 * Issue 20: /health is often public. What it shows passes through the same redaction as the log
 * lines, and `details: 'status'` keeps username, last error and host:port off it.
 */
@Controller('health')
class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: DatabaseHealthIndicator,
  ) {}

  @Get(':connection/:details')
  @HealthCheck()
  check(@Param('connection') connection: string, @Param('details') details: 'full' | 'status') {
    return this.health.check([() => this.database.isHealthy('database', { connection, details })]);
  }
}

const database = useTestDatabase('pubhealth');
const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/app-AbCdEf';
let failing = false;
let app: INestApplication;
let unreachablePort: number;

/** A source whose version quotes the password (a custom provider's is not to be trusted) and whose failures name an ARN. */
const provider: CredentialProvider = {
  name: 'vault',
  fetch: async () => {
    if (failing) throw Object.assign(new Error(`AccessDenied: ${ARN} for role arn:aws:iam::123456789012:role/app`), { name: 'AccessDeniedException' });
    return { username: database.role.username, password: database.role.password, version: `lease-${database.role.password}` };
  },
};

beforeAll(async () => {
  unreachablePort = await freePort();
  const moduleRef = await Test.createTestingModule({
    imports: [
      TerminusModule,
      DatabaseModule.forRoot({ name: 'main', dsn: database.role.bareDsn, credentialProvider: provider }),
      DatabaseModule.forRoot({ name: 'unreachable', host: '127.0.0.1', port: unreachablePort, user: 'nobody_here', password: 'unreachable-pw', connectionTimeout: '1s' }),
    ],
    controllers: [HealthController],
    providers: [DatabaseHealthIndicator],
  }).compile();
  app = moduleRef.createNestApplication({ logger: false });
  await app.init();
});

afterAll(() => app?.close());

const health = (connection: string, details: 'full' | 'status') => request(app.getHttpServer()).get(`/health/${connection}/${details}`);

describe('/health (issue 20)', () => {
  it('redacts a version that quotes the password, as the log lines do', async () => {
    const { body } = await health('main', 'full').expect(200);
    expect(body.details.database.credentials.version).toBe('lease-[redacted]');
    expect(JSON.stringify(body)).not.toContain(database.role.password);
  });

  it("details: 'status' shows up and nothing else", async () => {
    const { body } = await health('main', 'status').expect(200);
    expect(body.details).toEqual({ database: { status: 'up' } });
  });

  it("details: 'status' shows degraded during a source outage, without the username or the error naming ARNs", async () => {
    failing = true;
    try {
      await app.get<DbService>(getDbServiceToken('main')).refreshCredentials().catch(() => undefined);
      const full = await health('main', 'full').expect(200);
      expect(full.body.details.database.credentials.lastError).toContain(ARN);
      const { body } = await health('main', 'status').expect(200);
      expect(body.details.database.status).toBe('degraded');
      const text = JSON.stringify(body);
      for (const detail of [ARN, database.role.username, 'lastError', 'pool']) expect(text).not.toContain(detail);
    } finally {
      failing = false;
      await app.get<DbService>(getDbServiceToken('main')).refreshCredentials();
    }
  });

  it("details: 'status' shows down without host:port or the user, which the full answer names", async () => {
    const full = await health('unreachable', 'full').expect(503);
    expect(full.body.details.database.message).toContain(`127.0.0.1:${unreachablePort}`);
    const { body } = await health('unreachable', 'status').expect(503);
    expect(body.details.database).toEqual({ status: 'down', message: "the database did not answer SELECT 1; the application's log says why" });
    expect(JSON.stringify(body)).not.toMatch(new RegExp(`${unreachablePort}|nobody_here|unreachable-pw`));
  }, 15_000);
});

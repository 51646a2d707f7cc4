import { Controller, Get, type INestApplication, Param, Query } from '@nestjs/common';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { type CredentialProvider, DatabaseModule, type DbService, getDbServiceToken } from '../../src/index.js';
import { DatabaseHealthIndicator } from '../../src/health/index.js';
import { healthMessages } from '../../src/health/messages.js';
import { freePort } from '../../src/testing/index.js';
import { useTestDatabase } from '../support/roles.js';
import { eventually } from '../support/load.js';

/**
 * The Terminus indicator through HTTP, as an application mounts it: up, degraded (a failed
 * credential refresh while cached credentials serve) and down, each in the full answer and in
 * `details: 'status'`. Issue 20: /health is often public; what it shows passes through the same
 * redaction as the log lines, and `details: 'status'` keeps username, last error and host:port off it.
 */
@Controller('health')
class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: DatabaseHealthIndicator,
  ) {}

  @Get(':connection/:details')
  @HealthCheck()
  check(
    @Param('connection') connection: string,
    @Param('details') details: 'full' | 'status',
    @Query('timeout') timeout?: string,
  ) {
    return this.health.check([
      () =>
        this.database.isHealthy('database', {
          connection,
          details,
          timeout: timeout === undefined ? undefined : Number(timeout),
        }),
    ]);
  }
}

const database = useTestDatabase('pubhealth');
const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/app-AbCdEf';
let failing = false;
let app: INestApplication;
let unreachablePort: number;

/**
 * A source whose version quotes the password (a custom provider's is not to be trusted) and whose
 * failures name an ARN.
 */
const provider: CredentialProvider = {
  name: 'vault',
  fetch: async () => {
    if (failing)
      throw Object.assign(new Error(`AccessDenied: ${ARN} for role arn:aws:iam::123456789012:role/app`), {
        name: 'AccessDeniedException',
      });
    return {
      username: database.role.username,
      password: database.role.password,
      version: `lease-${database.role.password}`,
    };
  },
};

beforeAll(async () => {
  unreachablePort = await freePort();
  const moduleRef = await Test.createTestingModule({
    imports: [
      TerminusModule,
      DatabaseModule.forRoot({ name: 'main', dsn: database.role.bareDsn, credentialProvider: provider }),
      // One connection only: a caller holding it leaves the ping waiting for a checkout.
      DatabaseModule.forRoot({
        name: 'single',
        dsn: database.role.bareDsn,
        credentialProvider: provider,
        maxOpenConnections: 1,
        connectionTimeout: '5s',
      }),
      DatabaseModule.forRoot({
        name: 'unreachable',
        host: '127.0.0.1',
        port: unreachablePort,
        user: 'nobody_here',
        password: 'unreachable-pw',
        connectionTimeout: '1s',
      }),
    ],
    controllers: [HealthController],
    providers: [DatabaseHealthIndicator],
  }).compile();
  app = moduleRef.createNestApplication({ logger: false });
  await app.init();
});

afterAll(() => app?.close());

const health = (connection: string, details: 'full' | 'status', query = '') =>
  request(app.getHttpServer()).get(`/health/${connection}/${details}${query}`);
const main = () => app.get<DbService>(getDbServiceToken('main'));

/** Runs `check` while the source fails and the last refresh failed, then lets the source answer again. */
async function duringSourceOutage(check: () => Promise<void>): Promise<void> {
  failing = true;
  try {
    await main()
      .refreshCredentials()
      .catch(() => undefined);
    await check();
  } finally {
    failing = false;
    await main().refreshCredentials();
  }
}

describe("DatabaseHealthIndicator, details: 'full' (the default)", () => {
  it('up: 200 with the ping time, the pool stats and the credential status', async () => {
    const { body } = await health('main', 'full').expect(200);
    expect(body.status).toBe('ok');
    expect(body.details.database).toMatchObject({
      status: 'up',
      responseTimeMs: expect.any(Number),
      pool: expect.objectContaining({ openConnections: expect.any(Number), maxOpenConnections: expect.any(Number) }),
      credentials: expect.objectContaining({
        username: database.role.username,
        consecutiveFailures: 0,
        ageSeconds: expect.any(Number),
      }),
    });
  });

  it('redacts a version that quotes the password, as the log lines do (issue 20)', async () => {
    const { body } = await health('main', 'full').expect(200);
    expect(body.details.database.credentials.version).toBe('lease-[redacted]');
    expect(JSON.stringify(body)).not.toContain(database.role.password);
  });

  it('degraded (still 200) while the source fails and cached credentials serve, with the last error', async () => {
    await duringSourceOutage(async () => {
      const { body } = await health('main', 'full').expect(200);
      expect(body.details.database).toMatchObject({
        status: 'degraded',
        credentials: { lastError: expect.stringContaining(ARN) },
      });
    });
    expect((await health('main', 'full').expect(200)).body.details.database.status).toBe('up');
  });

  it('down (503) when the database does not answer, naming host:port', async () => {
    const { body } = await health('unreachable', 'full').expect(503);
    expect(body.details.database).toMatchObject({
      status: 'down',
      message: expect.stringContaining(`127.0.0.1:${unreachablePort}`),
    });
  }, 15_000);

  it('down when SELECT 1 gets no answer within the timeout', async () => {
    const single = app.get<DbService>(getDbServiceToken('single'));
    let release: (() => void) | undefined;
    const held = single.withClient(() => new Promise<void>((resolve) => (release = resolve)));
    // Its only connection held (its login may take a while on a busy machine): the ping can only wait.
    await eventually('the only connection held', () => release !== undefined);
    try {
      const { body } = await health('single', 'full', '?timeout=200').expect(503);
      expect(body.details.database).toMatchObject({ status: 'down', message: healthMessages.pingTimedOut(200) });
    } finally {
      release!();
      await held;
    }
  });

  it('down when no connection of that name is registered', async () => {
    const { body } = await health('nowhere', 'full').expect(503);
    expect(body.details.database).toEqual({ status: 'down', message: healthMessages.noSuchConnection('nowhere') });
  });
});

describe("DatabaseHealthIndicator, details: 'status' (a public /health, issue 20)", () => {
  it('up and nothing else', async () => {
    const { body } = await health('main', 'status').expect(200);
    expect(body.details).toEqual({ database: { status: 'up' } });
  });

  it('degraded during a source outage, without the username or the error naming ARNs', async () => {
    await duringSourceOutage(async () => {
      const { body } = await health('main', 'status').expect(200);
      expect(body.details).toEqual({ database: { status: 'degraded' } });
      const text = JSON.stringify(body);
      for (const detail of [ARN, database.role.username, 'lastError', 'pool']) expect(text).not.toContain(detail);
    });
  });

  it('down without host:port or the user, which the full answer names', async () => {
    const { body } = await health('unreachable', 'status').expect(503);
    expect(body.details.database).toEqual({ status: 'down', message: healthMessages.healthDownNoDetails() });
    expect(JSON.stringify(body)).not.toMatch(new RegExp(`${unreachablePort}|nobody_here|unreachable-pw`));
  }, 15_000);
});

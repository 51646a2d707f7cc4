import { Controller, Get, type INestApplication, Param } from '@nestjs/common';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { DatabaseAuthError, DatabaseModule, type DbService, getDbServiceToken } from '../../../src/index.js';
import { DEFAULT_BACKOFF } from '../../../src/credentials/backoff.js';
import { DatabaseHealthIndicator } from '../../../src/health/index.js';
import {
  SecretsManagerEmulator,
  type SecretsManagerFault,
  startTestPostgres,
  type TestPostgres,
} from '../../../src/testing/index.js';
import { attemptsAllowed } from '../../support/backoff.js';
import { captureNestLog } from '../../support/captured-log.js';
import { eventually, every, type LiveLoad, sleep, startLoad } from '../../support/load.js';
import { createTestRole, newPassword, setPassword, type TestRole } from '../../support/roles.js';

/** Issue 12: Secrets Manager fails for a whole minute. */
const OUTAGE_MS = 60_000;
/**
 * The outage alternates between the two ways Secrets Manager
 * fails: 400 ThrottlingException and 500 InternalServiceError.
 */
const FAULTS: SecretsManagerFault[] = ['throttling', 'internal-error'];
const FAULT_SWITCH_MS = 5_000;
const CALLERS = 16;
const CONNECTION_TIMEOUT_MS = 3_000;
/** When, into the outage, the rotated connection's password changes in the database. */
const ROTATE_AFTER_MS = 5_000;
/** The SDK's standard retry mode: a GetSecretValue that fails is sent at most three times. */
const SDK_MAX_ATTEMPTS = 3;
/**
 * Fetches one backoff chain lets through in the outage. A connection whose database still takes its
 * credentials has one chain (failed scheduled fetches); one whose password changed has two (that,
 * and forced fetches after refused logins).
 */
const FETCHES_PER_CHAIN = attemptsAllowed(OUTAGE_MS);
const STEADY_MAX_READS = FETCHES_PER_CHAIN * SDK_MAX_ATTEMPTS;
const ROTATED_MAX_READS = 2 * FETCHES_PER_CHAIN * SDK_MAX_ATTEMPTS;
/**
 * The first failed refresh shows within the 1 s refresh interval, the SDK's
 * throttling retries (up to 1 s, then 2 s) and a health check's round.
 */
const DEGRADED_WITHIN_MS = 1_000 + 3_000 + 2_000;
/**
 * The next fetch after the outage comes at most one backoff step (capped) later;
 * callers asleep in a login backoff need at most their connectionTimeout.
 */
const RECOVERY_BOUND_MS = DEFAULT_BACKOFF.maxMs + CONNECTION_TIMEOUT_MS;

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

interface HealthSample {
  /** When the request was sent. */
  at: number;
  httpStatus: number;
  status?: string;
  lastError?: string;
}

interface Connection {
  role: TestRole;
  secretsManager: SecretsManagerEmulator;
  db: DbService;
  load: LiveLoad;
  readsBefore: number;
  fetchFailuresBefore: number;
}

let server: TestPostgres;
let app: INestApplication;
let log: ReturnType<typeof captureNestLog>;
/** Credentials unchanged: the database keeps taking the cached ones. */
let steady: Connection;
/** The password changes in the database while Secrets Manager fails. */
let rotated: Connection;
/** Background loops, stopped in afterAll as well should the run fail half-way. */
let alternate: { stop(): Promise<void> } | undefined;
let watchHealth: { stop(): Promise<void> } | undefined;
const run = {
  outageStartedAt: 0,
  rotatedAt: 0,
  outageEndedAt: 0,
  health: [] as HealthSample[],
  healthyAgainMs: 0,
  servingAgainMs: 0,
  servingAgainAt: 0,
  steadyReads: 0,
  steadyFetches: 0,
  rotatedReads: 0,
  rotatedFetches: 0,
};

function connectionOptions(name: string, role: TestRole, secretsManager: SecretsManagerEmulator) {
  return {
    name,
    dsn: role.bareDsn,
    secretsManager: {
      secretId: 'prod/app',
      region: 'us-east-1',
      endpoint: secretsManager.endpoint,
      refreshInterval: '1s',
    },
    maxOpenConnections: 8,
    maxIdleConnections: 4,
    // New logins all through the outage: with the cached password (steady), or refused (rotated).
    connectionMaxLifetime: '2s',
    connectionTimeout: `${CONNECTION_TIMEOUT_MS}ms`,
  };
}

async function healthOf(connection: string): Promise<HealthSample> {
  const at = Date.now();
  const response = await request(app.getHttpServer()).get(`/health/${connection}`);
  const database = (response.body.details ?? response.body.error)?.database;
  return { at, httpStatus: response.status, status: database?.status, lastError: database?.credentials?.lastError };
}

function setFault(fault: SecretsManagerFault | undefined): void {
  steady.secretsManager.fault = fault;
  rotated.secretsManager.fault = fault;
}

function report(line: string): void {
  if (process.env.REPORT_FIGURES) process.stdout.write(`FIGURES ${expect.getState().currentTestName}: ${line}\n`);
}

beforeAll(
  async () => {
    process.env.AWS_ACCESS_KEY_ID = 'AKIDEXAMPLETEST00005';
    process.env.AWS_SECRET_ACCESS_KEY = 'emulator-secret';
    log = captureNestLog();
    server = await startTestPostgres();
    const roles = {
      steady: await createTestRole(server, 'smsteady'),
      rotated: await createTestRole(server, 'smrotated'),
    };
    const emulators = {
      steady: await new SecretsManagerEmulator().start(),
      rotated: await new SecretsManagerEmulator().start(),
    };
    for (const name of ['steady', 'rotated'] as const) {
      emulators[name].createSecret('prod/app', {
        engine: 'postgres',
        username: roles[name].username,
        password: roles[name].password,
      });
    }
    const moduleRef = await Test.createTestingModule({
      imports: [
        TerminusModule,
        DatabaseModule.forRoot(connectionOptions('steady', roles.steady, emulators.steady)),
        DatabaseModule.forRoot(connectionOptions('rotated', roles.rotated, emulators.rotated)),
      ],
      controllers: [HealthController],
      providers: [DatabaseHealthIndicator],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();

    const connect = (name: 'steady' | 'rotated'): Connection => {
      const db = app.get<DbService>(getDbServiceToken(name));
      return {
        role: roles[name],
        secretsManager: emulators[name],
        db,
        load: startLoad(CALLERS, () => db.query('SELECT pg_sleep(0.002)')),
        readsBefore: 0,
        fetchFailuresBefore: 0,
      };
    };
    steady = connect('steady');
    rotated = connect('rotated');
    await eventually('load to run', () => steady.load.succeeded > 200 && rotated.load.succeeded > 200);
    expect((await healthOf('steady')).status).toBe('up');

    // Both connections through the same minute of failures, so the suite pays for it once.
    for (const connection of [steady, rotated]) {
      connection.readsBefore = connection.secretsManager.calls.GetSecretValue ?? 0;
      connection.fetchFailuresBefore = connection.db.stats().credentialRefreshFailures;
    }
    let faults = 0;
    setFault(FAULTS[0]);
    run.outageStartedAt = Date.now();
    alternate = every(FAULT_SWITCH_MS, async () => setFault(FAULTS[++faults % FAULTS.length]));
    watchHealth = every(500, async () => void run.health.push(await healthOf('steady')));
    await sleep(ROTATE_AFTER_MS);
    // The rotation's write lands while the application's reads fail: the database and the stored
    // secret change together, and the pool cannot read the secret until the outage ends.
    run.rotatedAt = Date.now();
    const password = newPassword();
    await setPassword(server, roles.rotated.username, password);
    emulators.rotated.createSecret('prod/app', { engine: 'postgres', username: roles.rotated.username, password });
    await sleep(run.outageStartedAt + OUTAGE_MS - Date.now());
    await alternate.stop();
    setFault(undefined);
    run.outageEndedAt = Date.now();
    run.steadyReads = (emulators.steady.calls.GetSecretValue ?? 0) - steady.readsBefore;
    run.rotatedReads = (emulators.rotated.calls.GetSecretValue ?? 0) - rotated.readsBefore;
    // Every fetch during the outage failed.
    run.steadyFetches = steady.db.stats().credentialRefreshFailures - steady.fetchFailuresBefore;
    run.rotatedFetches = rotated.db.stats().credentialRefreshFailures - rotated.fetchFailuresBefore;

    await Promise.all([
      eventually(
        'the steady connection healthy again',
        () => run.health.at(-1)?.status === 'up',
        RECOVERY_BOUND_MS + 5_000,
      ).then(() => (run.healthyAgainMs = run.health.at(-1)!.at - run.outageEndedAt)),
      eventually(
        'the rotated connection serving again',
        () => rotated.load.lastSuccessAt > run.outageEndedAt,
        RECOVERY_BOUND_MS + 5_000,
      ).then(() => {
        run.servingAgainAt = rotated.load.lastSuccessAt;
        run.servingAgainMs = run.servingAgainAt - run.outageEndedAt;
      }),
    ]);
    // Serving on, to see that no failure follows the recovery.
    await sleep(5_000);
    await watchHealth.stop();
    await Promise.all([steady.load.stop(), rotated.load.stop()]);
  },
  OUTAGE_MS + RECOVERY_BOUND_MS + 40_000,
);

afterAll(async () => {
  await Promise.all([alternate?.stop(), watchHealth?.stop(), steady?.load.stop(), rotated?.load.stop()]);
  await app?.close();
  await steady?.secretsManager.stop();
  await rotated?.secretsManager.stop();
  await server?.stop();
  log?.restore();
});

describe(`Secrets Manager failing for ${OUTAGE_MS / 1000} s (ThrottlingException and 500s in turn, every ${FAULT_SWITCH_MS / 1000} s), ${CALLERS} callers per connection`, () => {
  it(`credentials unchanged: 0 failed queries, /health degraded (200) all through the outage and up again within ${RECOVERY_BOUND_MS / 1000} s, ≤ ${STEADY_MAX_READS} GetSecretValue calls (${FETCHES_PER_CHAIN} fetches × ${SDK_MAX_ATTEMPTS} SDK attempts)`, () => {
    const { load } = steady;
    const inOutage = run.health.filter(({ at }) => at >= run.outageStartedAt && at < run.outageEndedAt);
    const firstDegraded = inOutage.findIndex((sample) => sample.status === 'degraded');
    const errorTypes = new Set(
      inOutage
        .map((sample) => /ThrottlingException|InternalServiceError/.exec(sample.lastError ?? '')?.[0])
        .filter(Boolean),
    );
    report(
      `${load.succeeded} ok, ${load.failures.length} failed; ${inOutage.length} health checks in the outage, degraded from ${inOutage[firstDegraded]!.at - run.outageStartedAt} ms on, errors seen ${[...errorTypes].join(' and ')}; up again ${run.healthyAgainMs} ms after it; ${run.steadyFetches} fetches, ${run.steadyReads} GetSecretValue calls (bound ${STEADY_MAX_READS})`,
    );

    expect(load.failures.map(({ error }) => String(error))).toEqual([]);
    expect(load.succeeded).toBeGreaterThan(1_000);
    // Degraded from the first failed refresh to the end of the outage.
    expect(inOutage.length).toBeGreaterThan(OUTAGE_MS / 1_000);
    expect(inOutage[firstDegraded]!.at - run.outageStartedAt).toBeLessThan(DEGRADED_WITHIN_MS);
    for (const sample of inOutage.slice(firstDegraded)) {
      expect(sample).toMatchObject({
        httpStatus: 200,
        status: 'degraded',
        lastError: expect.stringMatching(/ThrottlingException|InternalServiceError/),
      });
    }
    expect(errorTypes).toEqual(new Set(['ThrottlingException', 'InternalServiceError']));
    expect(run.healthyAgainMs).toBeLessThan(RECOVERY_BOUND_MS);
    expect(
      run.health
        .filter(({ at }) => at > run.outageEndedAt + run.healthyAgainMs)
        .every((sample) => sample.status === 'up'),
    ).toBe(true);
    expect(run.steadyFetches).toBeLessThanOrEqual(FETCHES_PER_CHAIN);
    expect(run.steadyReads).toBeLessThanOrEqual(STEADY_MAX_READS);
  });

  it(`password changed ${ROTATE_AFTER_MS / 1000} s in: failures only until Secrets Manager answers, each a DatabaseAuthError within connectionTimeout; serving again within ${RECOVERY_BOUND_MS / 1000} s without a restart, then 0 failures; ≤ ${ROTATED_MAX_READS} GetSecretValue calls (2 × ${FETCHES_PER_CHAIN} fetches × ${SDK_MAX_ATTEMPTS} SDK attempts)`, () => {
    const { load } = rotated;
    const before = load.failures.filter(({ at }) => at < run.rotatedAt);
    // A call made once the pool served again never fails (one that began earlier, asleep in a login
    // backoff with the old password, may still end in its refusal).
    const after = load.failures.filter(({ startedAt }) => startedAt > run.servingAgainAt);
    const kinds = new Set(
      load.failures.map(({ error }) =>
        error instanceof DatabaseAuthError ? `DatabaseAuthError ${error.code}` : String(error),
      ),
    );
    report(
      `${load.succeeded} ok, ${load.failures.length} failed (${[...kinds].join(', ')}), ${load.failures.filter(({ at }) => at > run.outageEndedAt).length} of them after the outage; serving again ${run.servingAgainMs} ms after it; slowest call ${load.slowestMs} ms; ${run.rotatedFetches} fetches, ${run.rotatedReads} GetSecretValue calls (bound ${ROTATED_MAX_READS})`,
    );

    expect(before.map(({ error }) => String(error))).toEqual([]);
    expect(load.failures.length).toBeGreaterThan(0);
    expect(kinds).toEqual(new Set(['DatabaseAuthError 28P01']));
    expect(load.slowestMs).toBeLessThan(CONNECTION_TIMEOUT_MS + 1_000);
    expect(run.servingAgainMs).toBeLessThan(RECOVERY_BOUND_MS);
    expect(after.map(({ at, error }) => `+${at - run.servingAgainAt} ms: ${String(error)}`)).toEqual([]);
    expect(rotated.db.stats().credentials).toMatchObject({ consecutiveFailures: 0 });
    expect(run.rotatedFetches).toBeLessThanOrEqual(2 * FETCHES_PER_CHAIN);
    expect(run.rotatedReads).toBeLessThanOrEqual(ROTATED_MAX_READS);
  });
});

import { DatabaseAuthError, DatabaseConnectionError, DbService, RotatingPgError } from '../../../src/index.js';
import { RdsIamProxy, startTestPostgres, type TestPostgres } from '../../../src/testing/index.js';
import { attemptsAllowed } from '../../support/backoff.js';
import { captureNestLog } from '../../support/captured-log.js';
import { eventually, type LiveLoad, sleep, startLoad } from '../../support/load.js';
import { createTestRole, type TestRole } from '../../support/roles.js';
import { connectionDiedUnderQuery, describeFailure } from '../../support/failures.js';
import { iamProxyFor } from '../../support/iam.js';

const testCredentials = {
  accessKeyId: 'AKIDEXAMPLETEST00003',
  secretAccessKey: 'test-secret-access-key-for-the-emulator',
};
const CALLERS = 16;
const CONNECTION_TIMEOUT_MS = 2_000;
/** Room over connectionTimeout for a busy machine: a call past it would be a hang, not a slow query. */
const SLACK_MS = 1_000;
const OUTAGE_MS = 3_000;
const SKEW_WINDOW_MS = 3_000;

let server: TestPostgres;
let role: TestRole;
let proxy: RdsIamProxy;
/** How far the proxy's clock (the database's view of time) is off ours. */
let skewMs = 0;

beforeAll(async () => {
  process.env.AWS_ACCESS_KEY_ID = testCredentials.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = testCredentials.secretAccessKey;
  server = await startTestPostgres();
  role = await createTestRole(server, 'iamout');
  proxy = iamProxyFor(server, role, {
    credentials: testCredentials,
    now: () => Date.now() + skewMs,
  });
  await proxy.start();
});

afterAll(async () => {
  await proxy?.stop();
  await server?.stop();
});

/** A pool signing IAM tokens for the proxy; connections live 1 s, so logins go on all through a run. */
function iamDb(): Promise<DbService> {
  return DbService.create({
    host: '127.0.0.1',
    port: proxy.port,
    database: role.username,
    user: role.username,
    awsIamAuth: { enabled: true, region: 'us-east-1', allowPlaintext: true },
    maxOpenConnections: 8,
    maxIdleConnections: 8,
    connectionMaxLifetime: '1s',
    connectionTimeout: `${CONNECTION_TIMEOUT_MS}ms`,
  });
}

/** Waits for a success after `since`; returns how long after `since` it came (to the poll's 25 ms). */
async function recovery(load: LiveLoad, since: number): Promise<number> {
  await eventually('queries to succeed again', () => load.lastSuccessAt > since, 10_000);
  return load.lastSuccessAt - since;
}

/** A checkout's failure is always ours and typed; only a query already running gets pg's own error. */
function kindOf(error: unknown): string {
  if (error instanceof DatabaseConnectionError) return `DatabaseConnectionError ${error.code}`;
  if (error instanceof DatabaseAuthError) return `DatabaseAuthError ${error.code}`;
  if (error instanceof RotatingPgError) return `unexpected: ${error.name}: ${error.message}`;
  // Queries running on a connection when the proxy dropped it: a FIN or, with data unread, a RST.
  if (connectionDiedUnderQuery(error)) return 'connection died under a running query';
  return `unexpected: ${describeFailure(error)}`;
}

function countKinds(failures: LiveLoad['failures']): Record<string, number> {
  const kinds: Record<string, number> = {};
  for (const { error } of failures) kinds[kindOf(error)] = (kinds[kindOf(error)] ?? 0) + 1;
  return kinds;
}

/** Failures as `+12 ms: kind`, relative to `since`, for a readable assertion. */
function describeFailures(failures: LiveLoad['failures'], since: number): string[] {
  return failures.map(({ at, error }) => `${at - since >= 0 ? '+' : ''}${at - since} ms: ${kindOf(error)}`);
}

function report(line: string): void {
  if (process.env.REPORT_FIGURES) process.stdout.write(`FIGURES ${expect.getState().currentTestName}: ${line}\n`);
}

describe(`the RDS IAM endpoint (proxy) under ${CALLERS} callers, connectionTimeout ${CONNECTION_TIMEOUT_MS} ms`, () => {
  it(`down for ${OUTAGE_MS / 1000} s: checkouts fail typed (DatabaseConnectionError ECONNREFUSED) within connectionTimeout + ${SLACK_MS} ms, serving again within 1 s of the restart on the same port, no token re-signed`, async () => {
    const log = captureNestLog();
    const db = await iamDb();
    const load = startLoad(CALLERS, () => db.query('SELECT pg_sleep(0.005)'), { pauseAfterFailureMs: 20 });
    await eventually('load to run', () => load.succeeded > 200);
    const signedBefore = db.stats().credentialRefreshes;
    const port = proxy.port;

    // Taken before: the connections it drops fail while stop() is still closing the listener.
    const stoppedAt = Date.now();
    await proxy.stop();
    await sleep(OUTAGE_MS);
    expect((await proxy.start()).port).toBe(port);
    const restartedAt = Date.now();
    const recoveryMs = await recovery(load, restartedAt);
    const recoveredAt = Date.now();
    await sleep(2_000);
    await load.stop();
    const stats = db.stats();
    await db.onApplicationShutdown();
    log.restore();

    const kinds = countKinds(load.failures);
    const signed = stats.credentialRefreshes - signedBefore;
    report(
      `${load.succeeded} ok, failures ${JSON.stringify(kinds)}, slowest call ${load.slowestMs} ms, serving again ${recoveryMs} ms after the restart, ${signed} tokens signed during the run`,
    );

    expect(Object.keys(kinds).filter((kind) => kind.startsWith('unexpected'))).toEqual([]);
    // Checkouts while nothing listens: the typed error with Node's code, never a raw ECONNREFUSED.
    expect(kinds['DatabaseConnectionError ECONNREFUSED']).toBeGreaterThan(0);
    // Failures only from the stop to the first success after the restart, and none after it.
    expect(
      describeFailures(
        load.failures.filter(({ at }) => at < stoppedAt),
        stoppedAt,
      ),
    ).toEqual([]);
    // Only the queries running when the proxy went away die with their connection.
    expect(kinds['connection died under a running query'] ?? 0).toBeLessThanOrEqual(8);
    expect(load.slowestMs).toBeLessThan(CONNECTION_TIMEOUT_MS + SLACK_MS);
    expect(recoveryMs).toBeLessThan(1_000);
    expect(
      describeFailures(
        load.failures.filter(({ startedAt }) => startedAt > recoveredAt),
        recoveredAt,
      ),
    ).toEqual([]);
    // A connection error is no reason to sign a new token: the one held is still good.
    expect(signed).toBe(0);
  }, 20_000);

  it.each([
    ['16 min ahead', 16 * 60_000, 'expired'],
    ['5 min behind', -5 * 60_000, 'signed in the future'],
  ])(
    `with its clock %s for ${SKEW_WINDOW_MS / 1000} s: callers get DatabaseAuthError 28000 whose hint names the clock, within connectionTimeout + ${SLACK_MS} ms; token signatures bounded by the backoff; serving again within connectionTimeout + ${SLACK_MS} ms once the clocks agree, without a restart`,
    async (_label, skew, reason) => {
      const log = captureNestLog();
      const db = await iamDb();
      const load = startLoad(CALLERS, () => db.query('SELECT pg_sleep(0.005)'), { pauseAfterFailureMs: 20 });
      await eventually('load to run', () => load.succeeded > 200);
      const signedBefore = db.stats().credentialRefreshes;
      const rejectionsBefore = proxy.rejections.length;

      skewMs = skew;
      const skewedAt = Date.now();
      await sleep(SKEW_WINDOW_MS);
      skewMs = 0;
      const fixedAt = Date.now();
      const recoveryMs = await recovery(load, fixedAt);
      const recoveredAt = Date.now();
      await sleep(1_000);
      await load.stop();
      const signedDuringSkew = db.stats().credentialRefreshes - signedBefore;
      await db.onApplicationShutdown();
      log.restore();

      const kinds = countKinds(load.failures);
      const rejections = proxy.rejections.slice(rejectionsBefore);
      const allowed = attemptsAllowed(fixedAt - skewedAt);
      report(
        `${load.succeeded} ok, failures ${JSON.stringify(kinds)}, ${rejections.length} logins refused ("${reason}"), ${signedDuringSkew} tokens signed in ${fixedAt - skewedAt} ms (backoff allows ${allowed}), slowest call ${load.slowestMs} ms, serving again ${recoveryMs} ms after the clocks agree`,
      );

      expect(load.failures.length).toBeGreaterThan(0);
      expect(Object.keys(kinds)).toEqual(['DatabaseAuthError 28000']);
      for (const { error } of load.failures) {
        expect((error as DatabaseAuthError).message).toMatch(/PAM authentication failed for user/);
        expect((error as DatabaseAuthError).hint).toMatch(/clock/);
      }
      expect(new Set(rejections)).toEqual(new Set([reason]));
      expect(load.slowestMs).toBeLessThan(CONNECTION_TIMEOUT_MS + SLACK_MS);
      // No storm: refused tokens are re-signed at most once per backoff step, whatever the callers.
      expect(signedDuringSkew).toBeGreaterThan(0);
      expect(signedDuringSkew).toBeLessThanOrEqual(allowed);
      // The held token is good again: at most the callers asleep in the login backoff wait out their step.
      expect(recoveryMs).toBeLessThan(CONNECTION_TIMEOUT_MS + SLACK_MS);
      expect(
        describeFailures(
          load.failures.filter(({ startedAt }) => startedAt > recoveredAt),
          recoveredAt,
        ),
      ).toEqual([]);
    },
    20_000,
  );
});

import { Signer } from '@aws-sdk/rds-signer';
import pg from 'pg';
import { DatabaseAuthError, type DatabaseModuleOptions, DbService, RotatingPgError } from '../../src/index.js';
import { hints } from '../../src/errors/messages.js';
import { RdsIamProxy, SecretsManagerEmulator, startTestPostgres, type TestPostgres } from '../../src/testing/index.js';
import { attemptsAllowed } from '../support/backoff.js';
import { captureNestLog } from '../support/captured-log.js';
import { SwitchableProvider } from '../support/providers.js';
import { createTestRole, type TestRole } from '../support/roles.js';
import { iamProxyFor } from '../support/iam.js';
import { cpuPerRefusedLogin, measureCpu } from '../support/cpu.js';

const CALLERS = 32;
const CONNECTION_TIMEOUT_MS = 3_000;
/** The default maxOpenConnections: the logins that may run at once before the first refusal is known. */
const MAX_OPEN_CONNECTIONS = 10;
/**
 * While the callers wait, the process should spend CPU on the refused logins themselves (a SCRAM
 * exchange each, its hashing on libuv's pool) and next to nothing else: waiting is sleeping. The
 * bound is the logins made times what one refused login costs a bare pg client in the same run,
 * with room for the module's own work per login, plus a fixed allowance for set-up and a garbage
 * collection the Jest worker may owe from earlier files. A poll or retry loop spends CPU the logins
 * do not explain. (A share of a core, tried before, moved with the wall time a busy machine takes
 * and failed under load: 36% against 25%.)
 */
const LOGIN_CPU_FACTOR = 2.5;
const CPU_ALLOWANCE_MS = 300;
/** Runs a scenario may take to come in under the CPU bound. */
const CPU_RUNS = 3;
const WRONG_PASSWORD = 'wrong-password-everywhere-5b1e';
const iamKeys = { accessKeyId: 'AKIDEXAMPLETEST00004', secretAccessKey: 'the-secret-the-database-knows' };

let server: TestPostgres;
let role: TestRole;
let secretsManager: SecretsManagerEmulator;
let iamProxy: RdsIamProxy;
/**
 * CPU one refused login costs this process, per source: an IAM login also runs the in-process proxy's signature check.
 */
let passwordLoginCpuMs: number;
let iamLoginCpuMs: number;

beforeAll(async () => {
  // The SDK's default chain signs with these: the right key id, the wrong secret key.
  process.env.AWS_ACCESS_KEY_ID = iamKeys.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = 'a-secret-the-database-does-not-know';
  server = await startTestPostgres();
  role = await createTestRole(server, 'wrong');
  secretsManager = await new SecretsManagerEmulator().start();
  secretsManager.createSecret('wrong/everywhere', {
    engine: 'postgres',
    username: role.username,
    password: WRONG_PASSWORD,
  });
  iamProxy = iamProxyFor(server, role, {
    credentials: iamKeys,
  });
  await iamProxy.start();
  passwordLoginCpuMs = await cpuPerRefusedLogin(role.dsn.replace(`:${role.password}@`, `:${WRONG_PASSWORD}@`));
  // A token signed with the wrong keys, as the module signs it, refused by the same proxy.
  const token = await new Signer({
    hostname: '127.0.0.1',
    port: iamProxy.port,
    username: role.username,
    region: 'us-east-1',
  }).getAuthToken();
  iamLoginCpuMs = await cpuPerRefusedLogin(
    `postgres://${role.username}:${encodeURIComponent(token)}@127.0.0.1:${iamProxy.port}/${role.username}`,
  );
});

afterAll(async () => {
  await iamProxy?.stop();
  await secretsManager?.stop();
  await server?.stop();
});

interface WrongSource {
  options(): DatabaseModuleOptions;
  /** SQLSTATE and hint the seed's error table gives for the refusal. */
  code: string;
  hint: string;
  /** Calls the source itself saw (provider calls, GetSecretValue, distinct tokens), counted from now. */
  sourceCalls(): () => number;
  /** The most calls the source may see for `forced` forced fetches. */
  maxSourceCalls(forced: number): number;
  /** CPU one refused login costs this process, measured with bare pg clients on the same path. */
  loginCpuMs(): number;
}

const custom = () => new SwitchableProvider(role.username, WRONG_PASSWORD);
let customProvider: SwitchableProvider;

const sources: Record<string, WrongSource> = {
  'a static password': {
    options: () => ({ dsn: role.dsn.replace(`:${role.password}@`, `:${WRONG_PASSWORD}@`) }),
    code: '28P01',
    hint: hints.password,
    sourceCalls: () => () => 0,
    maxSourceCalls: () => 0,
    loginCpuMs: () => passwordLoginCpuMs,
  },
  'a custom provider': {
    options: () => ({ dsn: role.bareDsn, credentialProvider: (customProvider = custom()) }),
    code: '28P01',
    hint: hints.password,
    sourceCalls: () => {
      const before = customProvider.calls;
      return () => customProvider.calls - before;
    },
    maxSourceCalls: (forced) => forced,
    loginCpuMs: () => passwordLoginCpuMs,
  },
  'a Secrets Manager secret': {
    options: () => ({
      dsn: role.bareDsn,
      secretsManager: { secretId: 'wrong/everywhere', region: 'us-east-1', endpoint: secretsManager.endpoint },
    }),
    code: '28P01',
    hint: hints.password,
    sourceCalls: () => {
      const before = secretsManager.calls.GetSecretValue ?? 0;
      return () => (secretsManager.calls.GetSecretValue ?? 0) - before;
    },
    // A forced fetch reads AWSCURRENT and, as that holds the refused password, AWSPENDING (none).
    maxSourceCalls: (forced) => 2 * forced,
    loginCpuMs: () => passwordLoginCpuMs,
  },
  'an IAM token signed with the wrong keys': {
    options: () => ({
      host: '127.0.0.1',
      port: iamProxy.port,
      database: role.username,
      user: role.username,
      awsIamAuth: { enabled: true, region: 'us-east-1', allowPlaintext: true },
    }),
    code: '28000',
    hint: hints.pam,
    sourceCalls: () => {
      const before = iamProxy.tokens.size;
      return () => iamProxy.tokens.size - before;
    },
    // The token signed at start-up reaches the proxy with the first login, then one per forced fetch.
    maxSourceCalls: (forced) => 1 + forced,
    loginCpuMs: () => iamLoginCpuMs,
  },
};

const forcedFetchesAllowed = attemptsAllowed(CONNECTION_TIMEOUT_MS);

describe(`every credential source gives a wrong password; ${CALLERS} concurrent callers, connectionTimeout ${CONNECTION_TIMEOUT_MS} ms`, () => {
  it.each(Object.keys(sources))(
    `%s: every caller gets DatabaseAuthError with the seed's hint within connectionTimeout, ≤ ${forcedFetchesAllowed} forced fetches (one per backoff step), refused logins bounded by the pool (not one per caller), CPU explained by the refused logins`,
    async (name) => {
      const source = sources[name]!;
      const run = async () => {
        const log = captureNestLog();
        const db = await DbService.create({ ...source.options(), connectionTimeout: `${CONNECTION_TIMEOUT_MS}ms` });
        const sourceCalls = source.sourceCalls();
        const {
          result: outcomes,
          cpuMs,
          wallMs,
        } = await measureCpu(() => Promise.allSettled(Array.from({ length: CALLERS }, () => db.query('SELECT 1'))));
        const stats = db.stats();
        const cpuAllowedMs = LOGIN_CPU_FACTOR * stats.authFailures * source.loginCpuMs() + CPU_ALLOWANCE_MS;
        const calls = sourceCalls();
        await db.onApplicationShutdown();
        log.restore();
        return { outcomes, cpuMs, wallMs, stats, cpuAllowedMs, calls, logLines: log.lines };
      };
      // A poll loop spends its CPU on every run; a collection the worker owed, or a busy machine's
      // noise, lands on one. So a run over the CPU bound is repeated (at most twice more) and the
      // best run counts; every run must pass everything else.
      const runs = [await run()];
      while (runs.at(-1)!.cpuMs >= runs.at(-1)!.cpuAllowedMs && runs.length < CPU_RUNS) runs.push(await run());
      const best = runs.reduce((a, b) => (b.cpuMs / b.cpuAllowedMs < a.cpuMs / a.cpuAllowedMs ? b : a));
      expect(best.cpuMs).toBeLessThan(best.cpuAllowedMs);
      for (const { outcomes, cpuMs, wallMs, stats, cpuAllowedMs, calls, logLines } of runs) {
        const loginCpuMs = source.loginCpuMs();
        const forced =
          stats.credentialFetches['auth-failure'].succeeded + stats.credentialFetches['auth-failure'].failed;
        if (process.env.REPORT_FIGURES) {
          process.stdout.write(
            `FIGURES ${expect.getState().currentTestName}: ${CALLERS} callers failed in ${Math.round(wallMs)} ms, ${stats.authFailures} refused logins (≤ ${MAX_OPEN_CONNECTIONS + 2 * forcedFetchesAllowed}), ${forced} forced fetches (≤ ${forcedFetchesAllowed}), ${calls} calls at the source, CPU ${Math.round(cpuMs)} ms (≤ ${Math.round(cpuAllowedMs)}; ${((100 * cpuMs) / wallMs).toFixed(1)}% of one core; ${(cpuMs / stats.authFailures / loginCpuMs).toFixed(2)} × the refused logins at ${loginCpuMs.toFixed(2)} ms each)\n`,
          );
        }
        expect(outcomes.every((outcome) => outcome.status === 'rejected')).toBe(true);
        for (const outcome of outcomes) {
          const error = (outcome as PromiseRejectedResult).reason as DatabaseAuthError;
          expect(error).toBeInstanceOf(DatabaseAuthError);
          expect(error).toBeInstanceOf(RotatingPgError);
          // pg's vocabulary: code is the SQLSTATE, the server's refusal is the cause.
          expect(error).toMatchObject({ code: source.code, hint: source.hint });
          expect(error.cause).toBeInstanceOf(pg.DatabaseError);
          expect(error.cause).toMatchObject({ code: source.code, routine: 'auth_failed' });
          expect(error.message).toContain(source.hint);
          expect(`${error.message} ${String(error.stack)} ${JSON.stringify(error)}`).not.toMatch(
            new RegExp(`${WRONG_PASSWORD}|X-Amz-Signature`),
          );
        }
        // Within connectionTimeout, with room for a busy machine's
        // scheduling; waiting on the forced fetches would take longer.
        expect(wallMs).toBeLessThan(CONNECTION_TIMEOUT_MS + 2_000);
        // No login flood: the logins under way when the first refusal came, then one
        // per new credentials and one per backoff step, however many callers wait.
        expect(stats.authFailures).toBeGreaterThanOrEqual(1);
        expect(stats.authFailures).toBeLessThanOrEqual(MAX_OPEN_CONNECTIONS + 2 * forcedFetchesAllowed);
        // One forced fetch per throttle window, never one per caller.
        expect(forced).toBeGreaterThanOrEqual(1);
        expect(forced).toBeLessThanOrEqual(forcedFetchesAllowed);
        expect(calls).toBeLessThanOrEqual(source.maxSourceCalls(forced));
        expect(JSON.stringify(stats)).not.toContain(WRONG_PASSWORD);
        expect(JSON.stringify(logLines)).not.toContain(WRONG_PASSWORD);
      }
    },
    40_000,
  );
});

describe('a wrong password from a source that is slow to answer a forced fetch', () => {
  it('still gives every caller its DatabaseAuthError within connectionTimeout, not when the fetch ends', async () => {
    const slow = new SwitchableProvider(role.username, WRONG_PASSWORD);
    const fetchOnce = slow.fetch.bind(slow);
    // Secrets Manager with the SDK retrying its own throttling takes seconds; so does this source, once asked again.
    slow.fetch = async (context) => {
      if (context.reason === 'auth-failure') await new Promise((resolve) => setTimeout(resolve, 2_500));
      return fetchOnce(context);
    };
    const db = await DbService.create({ dsn: role.bareDsn, credentialProvider: slow, connectionTimeout: '1s' });
    const started = performance.now();
    const outcomes = await Promise.allSettled(Array.from({ length: 8 }, () => db.query('SELECT 1')));
    const wallMs = performance.now() - started;
    await db.onApplicationShutdown();

    for (const outcome of outcomes) expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(DatabaseAuthError);
    // The forced fetch ends at 2.5 s; the bound leaves a busy machine a second past connectionTimeout.
    expect(wallMs).toBeLessThan(1_000 + 1_000);
  }, 20_000);
});

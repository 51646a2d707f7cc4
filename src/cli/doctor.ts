import pg from 'pg';
import type { DatabaseModuleOptions } from '../config/database-options.interface.js';
import * as defaults from '../config/defaults.js';
import { type Duration, formatDuration, parseDuration } from '../common/duration.js';
import type { ResolvedDatabaseOptions } from '../config/resolved-options.js';
import { optionKeyNames, type KeyNamer, resolveDatabaseOptions } from '../config/resolve-database-options.js';
import type { CredentialProvider, Credentials } from '../credentials/credential-provider.interface.js';
import { IAM_TOKEN_VALIDITY_MS } from '../sources/rds-iam/rds-iam.defaults.js';
import { createCredentialProvider, credentialSourceFix, describeCredentials } from '../sources/registry.js';
import { DatabaseConfigError } from '../errors/errors.js';
import { redactSecrets } from '../errors/redact.js';
import { hintFor } from '../errors/login-errors.js';
import { cliMessages } from './messages.js';

export type Verdict = 'pass' | 'warn' | 'fail' | 'skip';

/** One row of the recommended-settings table (lifetime, idle time, timeout), judged against this configuration. */
export interface SettingRow {
  setting: string;
  value: string;
  recommended: string;
  verdict: Verdict;
  reason: string;
}

export interface CheckRow {
  check: 'configuration' | 'credentials' | 'connect' | 'session-role' | 'backends';
  verdict: Verdict;
  detail: string;
  /** What to do, from the troubleshooting table. */
  fix?: string;
}

export interface DoctorReport {
  connection: string;
  ok: boolean;
  settings: SettingRow[];
  checks: CheckRow[];
  backends: BackendRow[];
}

export interface BackendRow {
  pid: number;
  applicationName: string;
  clientAddr: string | null;
  backendStart: string;
  state: string | null;
  ageSeconds: number;
  tooOld: boolean;
}

/** Below this, signing a token or reading a secret plus a TLS handshake may not fit. */
const MIN_COMFORTABLE_TIMEOUT_MS = 5_000;

/**
 * The IAM verification checklist against a real setup: validate the configuration, judge the
 * recommended settings, obtain credentials, connect, and look for backends older than the
 * lifetime in pg_stat_activity. Prints nothing; `renderDoctorReport` does.
 */
export async function runDoctor(
  options: DatabaseModuleOptions,
  keyName: KeyNamer = optionKeyNames,
): Promise<DoctorReport> {
  const connection = options.name ?? defaults.DEFAULT_CONNECTION_NAME;
  const report: DoctorReport = { connection, ok: false, settings: [], checks: [], backends: [] };
  report.settings = judgeSettings(options, keyName);
  let resolved: ResolvedDatabaseOptions;
  try {
    resolved = resolveDatabaseOptions(options, keyName);
  } catch (error) {
    const problems = error instanceof DatabaseConfigError ? error.problems : [String((error as Error).message)];
    report.checks.push({
      check: 'configuration',
      verdict: 'fail',
      detail: problems.join('\n'),
      fix: cliMessages.fixConfiguration,
    });
    for (const check of ['credentials', 'connect', 'backends'] as const)
      report.checks.push({ check, verdict: 'skip', detail: cliMessages.configurationInvalid });
    return report;
  }
  report.checks.push({
    check: 'configuration',
    verdict: 'pass',
    detail: cliMessages.configurationValid(resolved.credentialSource.kind),
  });

  const provider = createCredentialProvider(resolved.credentialSource);
  try {
    const credentials = await obtainCredentials(provider, resolved, report);
    const client = credentials && (await connect(resolved, credentials, report));
    if (!client) {
      if (!credentials) report.checks.push({ check: 'connect', verdict: 'skip', detail: cliMessages.noCredentials });
      report.checks.push({ check: 'backends', verdict: 'skip', detail: cliMessages.notConnected });
    } else {
      try {
        if (resolved.sessionRole !== undefined) await checkSessionRole(client, resolved.sessionRole, report, keyName);
        await inspectBackends(client, resolved, report, keyName);
      } finally {
        await client.end();
      }
    }
  } finally {
    // After the connect check: a Vault source revokes its lease when closed.
    await provider.close?.();
  }
  report.ok = [...report.settings, ...report.checks].every((row) => row.verdict !== 'fail');
  return report;
}

function judgeSettings(options: DatabaseModuleOptions, keyName: KeyNamer): SettingRow[] {
  const lifetime = durationOf(options.connectionMaxLifetime, defaults.DEFAULT_CONNECTION_MAX_LIFETIME);
  const idle = durationOf(options.connectionMaxIdleTime, defaults.DEFAULT_CONNECTION_MAX_IDLE_TIME);
  const timeout = durationOf(options.connectionTimeout, defaults.DEFAULT_CONNECTION_TIMEOUT);
  const recommendedLifetime = parseDuration(defaults.DEFAULT_CONNECTION_MAX_LIFETIME)!;
  const recommendedIdle = parseDuration(defaults.DEFAULT_CONNECTION_MAX_IDLE_TIME)!;
  return [
    {
      setting: keyName(['connectionMaxLifetime']),
      value: show(options.connectionMaxLifetime, defaults.DEFAULT_CONNECTION_MAX_LIFETIME),
      recommended: defaults.DEFAULT_CONNECTION_MAX_LIFETIME,
      verdict:
        lifetime === undefined || lifetime <= 0 || lifetime >= IAM_TOKEN_VALIDITY_MS
          ? 'fail'
          : lifetime > recommendedLifetime
            ? 'warn'
            : 'pass',
      reason: cliMessages.lifetimeReason,
    },
    {
      setting: keyName(['connectionMaxIdleTime']),
      value: show(options.connectionMaxIdleTime, defaults.DEFAULT_CONNECTION_MAX_IDLE_TIME),
      recommended: defaults.DEFAULT_CONNECTION_MAX_IDLE_TIME,
      verdict: idle === undefined || idle <= 0 ? 'fail' : idle > recommendedIdle ? 'warn' : 'pass',
      reason: cliMessages.idleTimeReason,
    },
    {
      setting: keyName(['connectionTimeout']),
      value: show(options.connectionTimeout, defaults.DEFAULT_CONNECTION_TIMEOUT),
      recommended: defaults.DEFAULT_CONNECTION_TIMEOUT,
      verdict: timeout === undefined || timeout <= 0 ? 'fail' : timeout < MIN_COMFORTABLE_TIMEOUT_MS ? 'warn' : 'pass',
      reason: cliMessages.timeoutReason,
    },
  ];
}

async function obtainCredentials(
  provider: CredentialProvider,
  resolved: ResolvedDatabaseOptions,
  report: DoctorReport,
): Promise<Credentials | undefined> {
  const source = resolved.credentialSource;
  try {
    const credentials = await provider.fetch({ reason: 'initial' });
    report.checks.push({
      check: 'credentials',
      verdict: 'pass',
      detail: describeCredentials(resolved.credentialSource, credentials),
    });
    return credentials;
  } catch (error) {
    report.checks.push({
      check: 'credentials',
      verdict: 'fail',
      detail: redactSecrets((error as Error).message, []),
      fix: credentialSourceFix(source),
    });
    return undefined;
  }
}

async function connect(
  resolved: ResolvedDatabaseOptions,
  credentials: Credentials,
  report: DoctorReport,
): Promise<pg.Client | undefined> {
  const client = new pg.Client({
    ...resolved.connection,
    user: credentials.username,
    password: credentials.password,
    connectionTimeoutMillis: resolved.connectionTimeoutMs,
  });
  const started = Date.now();
  try {
    await client.connect();
    const { rows } = await client.query<{ version: string }>("SELECT current_setting('server_version') AS version");
    report.checks.push({
      check: 'connect',
      verdict: 'pass',
      detail: cliMessages.loggedIn(
        credentials.username,
        resolved.connection.host,
        resolved.connection.port,
        rows[0]?.version,
        Date.now() - started,
      ),
    });
    return client;
  } catch (error) {
    await client.end().catch(() => undefined);
    const message = redactSecrets((error as Error).message || String(error), [credentials.password]);
    report.checks.push({
      check: 'connect',
      verdict: 'fail',
      detail: message,
      fix: hintFor(error, credentials.username),
    });
    return undefined;
  }
}

/**
 * The login took the role (a refusal fails the connect check), unless something between dropped the startup options:
 * PgBouncer with `options` in ignore_startup_parameters lets the session run as the login user without a word.
 */
async function checkSessionRole(
  client: pg.Client,
  role: string,
  report: DoctorReport,
  keyName: KeyNamer,
): Promise<void> {
  const { rows } = await client.query<{ current: string; session: string }>(
    'SELECT current_user AS current, session_user AS session',
  );
  const { current = '', session = '' } = rows[0] ?? {};
  report.checks.push(
    current === role
      ? { check: 'session-role', verdict: 'pass', detail: cliMessages.sessionRoleTaken(role, session) }
      : {
          check: 'session-role',
          verdict: 'fail',
          detail: cliMessages.sessionRoleDropped(role, current),
          fix: cliMessages.setRoleOnServer(keyName(['sessionRole']), role, session),
        },
  );
}

async function inspectBackends(
  client: pg.Client,
  resolved: ResolvedDatabaseOptions,
  report: DoctorReport,
  keyName: KeyNamer,
): Promise<void> {
  // pg_stat_activity shows a backend's details only to roles with the privileges of its user: under sessionRole the
  // session acts as the owner, so it looks as the login user (this client ends right after).
  if (resolved.sessionRole !== undefined) await client.query('SET ROLE NONE');
  const { rows } = await client.query<{
    pid: number;
    application_name: string;
    client_addr: string | null;
    backend_start: Date;
    state: string | null;
    age: number;
  }>(
    `SELECT pid, application_name, client_addr::text, backend_start, state,
            extract(epoch FROM now() - backend_start)::float8 AS age
       FROM pg_stat_activity
      WHERE usename = session_user AND pid <> pg_backend_pid()
      ORDER BY backend_start`,
  );
  const limitSeconds = resolved.connectionMaxLifetimeMs / 1000;
  report.backends = rows.map((row) => ({
    pid: row.pid,
    applicationName: row.application_name,
    clientAddr: row.client_addr,
    backendStart: row.backend_start.toISOString(),
    state: row.state,
    ageSeconds: Math.round(row.age),
    tooOld: row.age > limitSeconds,
  }));
  const old = report.backends.filter((backend) => backend.tooOld);
  const lifetime = formatDuration(resolved.connectionMaxLifetimeMs);
  report.checks.push(
    old.length === 0
      ? { check: 'backends', verdict: 'pass', detail: cliMessages.backendsYoung(rows.length, lifetime) }
      : {
          check: 'backends',
          verdict: 'fail',
          detail: cliMessages.backendsTooOld(
            old.length,
            lifetime,
            old.map((b) => cliMessages.oldBackend(b.pid, b.applicationName, b.ageSeconds)),
          ),
          fix: cliMessages.recycleBackends(keyName(['connectionMaxLifetime'])),
        },
  );
}

function durationOf(value: unknown, fallback: string): number | undefined {
  const given = value ?? fallback;
  return typeof given === 'string' || typeof given === 'number' ? parseDuration(given) : undefined;
}

function show(value: Duration | undefined, fallback: string): string {
  return value === undefined ? `${fallback} (default)` : String(value);
}

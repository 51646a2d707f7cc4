import type { ClientConfig } from 'pg';
import { parseIntoClientConfig } from 'pg-connection-string';
import type { z } from 'zod';
import { DatabaseConfigError } from '../errors/errors.js';
import { messages } from '../errors/messages.js';
import type { DatabaseModuleOptions } from './database-options.interface.js';
import * as defaults from './defaults.js';
import { parseDuration } from './duration.js';
import { databaseOptionsSchema, knownKeys } from './options.schema.js';
import type { ConnectionSettings, CredentialSource, ResolvedDatabaseOptions } from './resolved-options.js';

/** Spells an option path the way the user wrote it: `connectionMaxLifetime`, or `connections.default.connection_max_lifetime` from YAML. */
export type KeyNamer = (path: readonly string[]) => string;

export const camelCaseKeys: KeyNamer = (path) => path.join('.');

interface Problem {
  path: string[];
  message: string;
}

type Raw = Record<string, unknown>;

/**
 * Validates options and fills in defaults. Throws one `DatabaseConfigError` listing every
 * problem, each naming its key; no value of `password` or `dsn` is ever quoted.
 */
export function resolveDatabaseOptions(
  input: DatabaseModuleOptions,
  keyName: KeyNamer = camelCaseKeys,
): ResolvedDatabaseOptions {
  const raw: Raw = isRecord(input) ? input : {};
  const name = typeof raw.name === 'string' && raw.name !== '' ? raw.name : defaults.DEFAULT_CONNECTION_NAME;
  const problems: Problem[] = [];
  const parsed = databaseOptionsSchema.safeParse(input);
  if (!parsed.success) problems.push(...parsed.error.issues.flatMap(fromZodIssue));

  const check = new Checker(raw, problems, keyName);
  const maxOpen = check.integer(['maxOpenConnections'], defaults.DEFAULT_MAX_OPEN_CONNECTIONS, 1);
  const maxIdle = check.integer(['maxIdleConnections'], defaults.DEFAULT_MAX_IDLE_CONNECTIONS, 0);
  if (maxOpen !== undefined && maxIdle !== undefined && maxIdle > maxOpen) {
    check.fail(['maxIdleConnections'], messages.idleAboveOpen(keyName(['maxOpenConnections'])));
  }
  const lifetime = check.positiveDuration(['connectionMaxLifetime'], defaults.DEFAULT_CONNECTION_MAX_LIFETIME);
  if (lifetime !== undefined && lifetime >= defaults.IAM_TOKEN_VALIDITY_MS) {
    check.fail(['connectionMaxLifetime'], messages.lifetimeTooLong(raw.connectionMaxLifetime));
  }
  const lifetimeKey = keyName(['connectionMaxLifetime']);
  const jitter = check.duration(['connectionMaxLifetimeJitter'], undefined);
  if (jitter !== undefined && lifetime !== undefined && (jitter < 0 || jitter >= lifetime)) {
    check.fail(['connectionMaxLifetimeJitter'], messages.jitterNotBelowLifetime(lifetimeKey));
  }
  const explicitIdleTime = raw.connectionMaxIdleTime !== undefined;
  let idleTime = check.positiveDuration(['connectionMaxIdleTime'], defaults.DEFAULT_CONNECTION_MAX_IDLE_TIME);
  if (idleTime !== undefined && lifetime !== undefined && idleTime > lifetime) {
    // The default yields to a shorter lifetime; only a value the user chose is an error.
    if (explicitIdleTime) check.fail(['connectionMaxIdleTime'], messages.idleTimeAboveLifetime(lifetimeKey));
    else idleTime = lifetime;
  }
  const timeout = check.positiveDuration(['connectionTimeout'], defaults.DEFAULT_CONNECTION_TIMEOUT);
  const connection = resolveConnection(raw, check);
  const credentialSource = resolveCredentialSource(raw, connection, check);

  if (problems.length > 0) {
    const lines = problems.map((problem) => `${keyName(problem.path)}: ${problem.message}`);
    throw new DatabaseConfigError(messages.invalidOptions(name, lines), lines);
  }
  return {
    name,
    connection: connection.settings,
    maxOpenConnections: maxOpen!,
    maxIdleConnections: maxIdle!,
    connectionMaxLifetimeMs: lifetime!,
    connectionMaxLifetimeJitterMs: jitter ?? Math.floor(lifetime! * defaults.DEFAULT_LIFETIME_JITTER_SHARE),
    connectionMaxIdleTimeMs: idleTime!,
    connectionTimeoutMs: timeout!,
    credentialSource: credentialSource!,
  };
}

interface ResolvedConnection {
  settings: ConnectionSettings;
  dsnUser?: string;
  dsnPassword?: string;
}

function resolveConnection(raw: Raw, check: Checker): ResolvedConnection {
  let fromDsn: ClientConfig = {};
  if (typeof raw.dsn === 'string') {
    try {
      fromDsn = parseIntoClientConfig(raw.dsn);
    } catch {
      check.fail(['dsn'], messages.badDsn());
    }
    const conflicts = ['host', 'port', 'database', 'user', 'password'].filter((key) => raw[key] !== undefined);
    if (conflicts.length > 0) check.fail(['dsn'], messages.dsnConflicts(conflicts.map((key) => check.keyName([key]))));
  }
  if (raw.port !== undefined) check.integer(['port'], undefined, 1);
  // pg merges a connectionString over explicit options (DESIGN.md's pitfall), so the DSN is
  // parsed here once and never handed to pg: the password function cannot be replaced.
  const { user: dsnUser, password: dsnPassword, connectionString: _ignored, ...dsnSettings } = fromDsn;
  const settings: ConnectionSettings = {
    ...dsnSettings,
    host: stringOr(raw.host, dsnSettings.host ?? 'localhost'),
    port: numberOr(raw.port, Number(dsnSettings.port ?? 5432)),
    database: stringOr(raw.database, dsnSettings.database ?? undefined),
    application_name: stringOr(raw.applicationName, dsnSettings.application_name ?? defaults.DEFAULT_APPLICATION_NAME),
  };
  if (raw.ssl !== undefined) settings.ssl = raw.ssl as ConnectionSettings['ssl'];
  Object.assign(settings, resolveSessionSettings(raw, check));
  return {
    settings,
    dsnUser: dsnUser || undefined,
    dsnPassword: typeof dsnPassword === 'string' && dsnPassword !== '' ? dsnPassword : undefined,
  };
}

/** pg's per-connection settings, from our option names and durations. Unset ones stay unset (the server's or pg's default). */
function resolveSessionSettings(raw: Raw, check: Checker): Partial<ConnectionSettings> {
  const settings: Partial<ConnectionSettings> = {
    statement_timeout: check.positiveDuration(['statementTimeout'], undefined),
    query_timeout: check.positiveDuration(['queryTimeout'], undefined),
    lock_timeout: check.positiveDuration(['lockTimeout'], undefined),
    idle_in_transaction_session_timeout: check.positiveDuration(['idleInTransactionSessionTimeout'], undefined),
    keepAlive: typeof raw.keepAlive === 'boolean' ? raw.keepAlive : undefined,
    keepAliveInitialDelayMillis: check.positiveDuration(['keepAliveInitialDelay'], undefined),
    options: typeof raw.options === 'string' ? raw.options : undefined,
    types: raw.types as ConnectionSettings['types'],
  };
  return Object.fromEntries(Object.entries(settings).filter(([, value]) => value !== undefined));
}

function resolveCredentialSource(raw: Raw, connection: ResolvedConnection, check: Checker): CredentialSource | undefined {
  const iam = isRecord(raw.awsIamAuth) && raw.awsIamAuth.enabled === true ? raw.awsIamAuth : undefined;
  const secrets = isRecord(raw.secretsManager) ? raw.secretsManager : undefined;
  const password = typeof raw.password === 'string' ? raw.password : connection.dsnPassword;
  const found = [
    password !== undefined && (raw.password !== undefined ? 'password' : 'dsn (password)'),
    iam && 'awsIamAuth',
    secrets && 'secretsManager',
    raw.credentialProvider !== undefined && 'credentialProvider',
  ].filter((source): source is string => typeof source === 'string');
  if (found.length === 0) {
    check.fail([], messages.noCredentialSource(['password', 'awsIamAuth', 'secretsManager', 'credentialProvider'].map((key) => check.keyName([key]))));
    return undefined;
  }
  if (found.length > 1) {
    check.fail([], messages.manyCredentialSources(found.map((key) => check.keyName([key.split(' ')[0] as string]))));
    return undefined;
  }
  const user = stringOr(raw.user, connection.dsnUser);
  if (iam) return resolveIamSource(iam, user, connection.settings, check);
  if (secrets) {
    const refreshIntervalMs = check.positiveDuration(['secretsManager', 'refreshInterval'], defaults.DEFAULT_SECRETS_REFRESH_INTERVAL);
    if (secrets.secretId === '') check.fail(['secretsManager', 'secretId'], messages.required('the secret name or ARN'));
    return {
      kind: 'secrets-manager',
      secretId: String(secrets.secretId),
      region: secrets.region as string | undefined,
      endpoint: secrets.endpoint as string | undefined,
      refreshIntervalMs: refreshIntervalMs ?? 0,
    };
  }
  if (raw.credentialProvider !== undefined) return { kind: 'custom', provider: raw.credentialProvider as never };
  if (user === undefined) {
    check.fail(['user'], messages.noUser([check.keyName(['user'])]));
    return undefined;
  }
  return { kind: 'static', username: user, password: password as string };
}

function resolveIamSource(iam: Raw, user: string | undefined, settings: ConnectionSettings, check: Checker): CredentialSource | undefined {
  if (iam.region === '') check.fail(['awsIamAuth', 'region'], messages.required('the AWS region of the database, e.g. "us-east-1"'));
  const tokenTtlMs = check.positiveDuration(['awsIamAuth', 'tokenTtl'], defaults.DEFAULT_IAM_TOKEN_TTL);
  if (tokenTtlMs !== undefined && tokenTtlMs >= defaults.IAM_TOKEN_VALIDITY_MS) {
    check.fail(['awsIamAuth', 'tokenTtl'], messages.tokenTtlTooLong(iam.tokenTtl));
  }
  if (!settings.ssl && iam.allowPlaintext !== true) {
    check.fail(['awsIamAuth'], messages.iamNeedsTls(check.keyName(['awsIamAuth', 'allowPlaintext'])));
  }
  const username = stringOr(iam.dbUser, user);
  if (username === undefined) {
    check.fail(['awsIamAuth', 'dbUser'], messages.noUser([check.keyName(['awsIamAuth', 'dbUser']), check.keyName(['user'])]));
    return undefined;
  }
  return {
    kind: 'aws-iam',
    region: String(iam.region),
    username,
    tokenTtlMs: tokenTtlMs ?? 0,
    signingHost: stringOr(iam.signingHost, settings.host),
    signingPort: numberOr(iam.signingPort, settings.port),
  };
}

/** Reads one value at a path, applies a default, and records a problem when it breaks a rule. */
class Checker {
  constructor(
    private readonly raw: Raw,
    private readonly problems: Problem[],
    readonly keyName: KeyNamer,
  ) {}

  fail(path: string[], message: string): void {
    this.problems.push({ path, message });
  }

  duration(path: string[], fallback: string | undefined): number | undefined {
    const value = this.valueAt(path) ?? fallback;
    if (value === undefined) return undefined;
    // A malformed value was already reported by the schema; it just has no number here.
    return typeof value === 'string' || typeof value === 'number' ? parseDuration(value) : undefined;
  }

  positiveDuration(path: string[], fallback: string | undefined): number | undefined {
    const ms = this.duration(path, fallback);
    if (ms !== undefined && ms <= 0) {
      this.fail(path, messages.notPositive(this.valueAt(path)));
      return undefined;
    }
    return ms;
  }

  integer(path: string[], fallback: number | undefined, minimum: 0 | 1): number | undefined {
    const value = this.valueAt(path) ?? fallback;
    if (typeof value !== 'number') return undefined;
    if (!Number.isInteger(value) || value < minimum) {
      this.fail(path, minimum === 1 ? messages.notPositiveInteger(value) : messages.notNonNegativeInteger(value));
      return undefined;
    }
    return value;
  }

  private valueAt(path: string[]): unknown {
    let value: unknown = this.raw;
    for (const key of path) value = isRecord(value) ? value[key] : undefined;
    return value;
  }
}

function fromZodIssue(issue: z.core.$ZodIssue): Problem[] {
  const path = issue.path.map(String);
  if (issue.code === 'unrecognized_keys') {
    const known = knownKeys[path.join('.')] ?? [];
    return issue.keys.map((key) => ({ path: [...path, key], message: messages.unknownKey(known) }));
  }
  if (issue.code === 'invalid_type') {
    return [{ path, message: messages.wrongType(issue.expected === 'record' ? 'an object' : `a ${issue.expected}`) }];
  }
  return [{ path, message: issue.message }];
}

function isRecord(value: unknown): value is Raw {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringOr<T extends string | undefined>(value: unknown, fallback: T): string | T {
  return typeof value === 'string' && value !== '' ? value : fallback;
}

function numberOr(value: unknown, fallback: number): number {
  return typeof value === 'number' ? value : fallback;
}

import type { ClientConfig } from 'pg';
import type { z } from 'zod';
import { DatabaseConfigError } from '../errors/errors.js';
import { messages } from '../errors/messages.js';
import { configMessages } from './messages.js';
import type { DatabaseModuleOptions } from './database-options.interface.js';
import { isIP } from 'node:net';
import * as defaults from './defaults.js';
import { MAX_DURATION_MS } from '../common/duration.js';
import { DsnError, parseDsn } from './dsn.js';
import { setsRole, withSessionRole } from './session-role.js';
import { databaseOptionsSchema, knownKeys, lenientOptionsSchema } from './options.schema.js';
import {
  isRecord,
  kindOf,
  numberOr,
  OptionChecker,
  type KeyNamer,
  optionKeyNames,
  type Problem,
  type Raw,
  stringOr,
  valueAtPath,
} from '../common/option-checker.js';
import type { ConnectionSettings, ResolvedDatabaseOptions } from './resolved-options.js';
import type { ConnectionFacts } from '../sources/credential-source.js';
import { IAM_TOKEN_VALIDITY_MS } from '../sources/rds-iam/rds-iam.defaults.js';
import { resolveCredentialSource } from '../sources/registry.js';
import type { MeterProviderLike } from '../common/opentelemetry.js';

export { type KeyNamer, optionKeyNames } from '../common/option-checker.js';

type DatabaseOptionChecker = OptionChecker<DatabaseModuleOptions>;

/**
 * Validates options and fills in defaults. Throws one `DatabaseConfigError` listing every
 * problem, each naming its key; no value of `password` or `dsn` is ever quoted.
 */
export function resolveDatabaseOptions(
  input: DatabaseModuleOptions,
  keyName: KeyNamer = optionKeyNames,
): ResolvedDatabaseOptions {
  if (!isRecord(input)) {
    // Every rule below would only repeat that there are no options.
    const problem = configMessages.optionsNotObject(kindOf(input));
    throw new DatabaseConfigError(configMessages.invalidOptions(defaults.DEFAULT_CONNECTION_NAME, [problem]), [
      problem,
    ]);
  }
  const problems: Problem[] = [];
  const strict = databaseOptionsSchema.safeParse(input);
  if (!strict.success) problems.push(...strict.error.issues.flatMap((issue) => fromZodIssue(issue, input, keyName)));
  // The rules below see only values of the right type; the wrong ones were reported just now.
  const raw = (lenientOptionsSchema.parse(input) ?? {}) as Raw;
  const name = typeof raw.name === 'string' ? raw.name : defaults.DEFAULT_CONNECTION_NAME;

  const check = new OptionChecker<DatabaseModuleOptions>(raw, problems, keyName);
  const maxOpen = check.integer(['maxOpenConnections'], defaults.DEFAULT_MAX_OPEN_CONNECTIONS, 1);
  // The default yields to a smaller cap: maxOpenConnections: 1 alone is a valid setting.
  const maxIdle = check.integer(
    ['maxIdleConnections'],
    Math.min(defaults.DEFAULT_MAX_IDLE_CONNECTIONS, maxOpen ?? Number.POSITIVE_INFINITY),
    0,
  );
  if (maxOpen !== undefined && maxIdle !== undefined && maxIdle > maxOpen) {
    check.fail(['maxIdleConnections'], configMessages.idleAboveOpen(keyName(['maxOpenConnections'])));
  }
  const lifetime = check.positiveDuration(['connectionMaxLifetime'], defaults.DEFAULT_CONNECTION_MAX_LIFETIME);
  if (lifetime !== undefined && lifetime >= IAM_TOKEN_VALIDITY_MS) {
    check.fail(['connectionMaxLifetime'], configMessages.lifetimeTooLong(raw.connectionMaxLifetime));
  }
  const lifetimeKey = keyName(['connectionMaxLifetime']);
  const jitter = check.duration(['connectionMaxLifetimeJitter'], undefined);
  if (jitter !== undefined && lifetime !== undefined && (jitter < 0 || jitter >= lifetime)) {
    check.fail(['connectionMaxLifetimeJitter'], configMessages.jitterNotBelowLifetime(lifetimeKey));
  }
  const explicitIdleTime = raw.connectionMaxIdleTime !== undefined;
  let idleTime = check.positiveDuration(['connectionMaxIdleTime'], defaults.DEFAULT_CONNECTION_MAX_IDLE_TIME);
  if (idleTime !== undefined && lifetime !== undefined && idleTime > lifetime) {
    // The default yields to a shorter lifetime; only a value the user chose is an error.
    if (explicitIdleTime) check.fail(['connectionMaxIdleTime'], configMessages.idleTimeAboveLifetime(lifetimeKey));
    else idleTime = lifetime;
  }
  const connection = resolveConnection(raw, check);
  const timeout =
    connection.connectTimeoutMs ?? check.positiveDuration(['connectionTimeout'], defaults.DEFAULT_CONNECTION_TIMEOUT);
  const credentialSource = resolveCredentialSource(raw, connectionFacts(raw, connection), check);

  if (problems.length > 0) {
    // A rule about the options as a whole names its keys in the message itself.
    const lines = problems.map(({ path, message }) => (path.length === 0 ? message : `${keyName(path)}: ${message}`));
    throw new DatabaseConfigError(configMessages.invalidOptions(name, lines), lines);
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
    plaintextUnasked: connection.plaintextUnasked,
    ...(raw.meterProvider !== undefined && { meterProvider: raw.meterProvider as MeterProviderLike }),
    durationMetrics: typeof raw.durationMetrics === 'boolean' ? raw.durationMetrics : true,
    ...(typeof raw.sessionRole === 'string' && { sessionRole: raw.sessionRole }),
  };
}

interface ResolvedConnection {
  settings: ConnectionSettings;
  dsnUser?: string;
  dsnPassword?: string;
  dsnRefused: boolean;
  /** The dsn's connect_timeout, honoured as connectionTimeout. */
  connectTimeoutMs?: number;
  /** No TLS, to a host that is not this machine, and nobody asked for plaintext. */
  plaintextUnasked: boolean;
}

const PORT_RANGE = { min: 1, max: 65_535 };

function resolveConnection(raw: Raw, check: DatabaseOptionChecker): ResolvedConnection {
  let fromDsn: ClientConfig = {};
  let dsnRefused = false;
  if (typeof raw.dsn === 'string') {
    try {
      fromDsn = parseDsn(raw.dsn, check.keyName);
    } catch (error) {
      dsnRefused = true;
      for (const problem of error instanceof DsnError ? error.problems : [configMessages.badDsn()])
        check.fail(['dsn'], problem);
    }
    const conflicts = ['host', 'port', 'database', 'user', 'password'].filter((key) => raw[key] !== undefined);
    if (conflicts.length > 0)
      check.fail(['dsn'], configMessages.dsnConflicts(conflicts.map((key) => check.keyName([key]))));
  }
  if (raw.port !== undefined) check.port(['port']);
  // pg merges a connectionString over explicit options (a password in it would win), so the DSN is
  // parsed here once and never handed to pg: the password function cannot be replaced.
  const {
    user: dsnUser,
    password: dsnPassword,
    connectionString: _ignored,
    connect_timeout: connectTimeout,
    ...dsnSettings
  } = fromDsn as ClientConfig & { connect_timeout?: string };
  const dsnPort = Number(dsnSettings.port ?? 5432);
  // An unparseable port was refused with the URL; 0 parses.
  if (!Number.isInteger(dsnPort) || dsnPort < PORT_RANGE.min || dsnPort > PORT_RANGE.max)
    check.fail(['dsn'], messages.badPort(String(dsnSettings.port)));
  const settings: ConnectionSettings = {
    ...dsnSettings,
    host: stringOr(raw.host, dsnSettings.host ?? 'localhost'),
    port: numberOr(raw.port, Number(dsnSettings.port ?? 5432)),
    database: stringOr(raw.database, dsnSettings.database ?? undefined),
    application_name: stringOr(raw.applicationName, dsnSettings.application_name ?? defaults.DEFAULT_APPLICATION_NAME),
  };
  if (raw.ssl !== undefined) settings.ssl = raw.ssl as ConnectionSettings['ssl'];
  Object.assign(settings, resolveSessionSettings(raw, check));
  applySessionRole(settings, raw, check);
  return {
    settings,
    dsnUser: dsnUser || undefined,
    dsnPassword: typeof dsnPassword === 'string' && dsnPassword !== '' ? dsnPassword : undefined,
    dsnRefused,
    connectTimeoutMs: connectTimeout === undefined ? undefined : connectTimeoutMs(connectTimeout, raw, check),
    // sslmode=disable or ssl: false is asking; nothing at all is pg's plaintext default.
    plaintextUnasked: settings.ssl === undefined && !dsnRefused && !isLocalHost(settings.host),
  };
}

/**
 * libpq's connect_timeout, in whole seconds, as connectionTimeout: honoured rather than dropped.
 * libpq reads 1 as 2 and 0 as "wait forever"; the module never waits without a limit, so 0 is refused.
 */
function connectTimeoutMs(value: string, raw: Raw, check: DatabaseOptionChecker): number | undefined {
  const optionKey = check.keyName(['connectionTimeout']);
  if (raw.connectionTimeout !== undefined) {
    check.fail(['dsn'], configMessages.connectTimeoutConflict(optionKey));
    return undefined;
  }
  const seconds = /^\s*\d+\s*$/.test(value) ? Number(value) : Number.NaN;
  if (!(seconds >= 1)) {
    check.fail(['dsn'], configMessages.connectTimeoutInvalid(optionKey));
    return undefined;
  }
  const ms = Math.max(2, seconds) * 1_000;
  if (ms > MAX_DURATION_MS) {
    check.fail(['dsn'], `connect_timeout ${messages.durationTooLong(`${seconds}s`, MAX_DURATION_MS)}`);
    return undefined;
  }
  return ms;
}

/** This machine: a loopback address, localhost, or a Unix socket directory. */
function isLocalHost(host: string): boolean {
  if (host.startsWith('/') || host === 'localhost' || host.endsWith('.localhost')) return true;
  const address = host.replace(/^\[|\]$/g, '');
  if (isIP(address) === 4) return address.startsWith('127.');
  if (isIP(address) === 6) return address === '::1' || /^::ffff:127\./i.test(address);
  return false;
}

/** What the credential sources may know of the connection. */
function connectionFacts(raw: Raw, connection: ResolvedConnection): ConnectionFacts {
  const { host, port, ssl } = connection.settings;
  return {
    host,
    port,
    ssl,
    user: stringOr(raw.user, connection.dsnUser),
    dsnPassword: connection.dsnPassword,
    dsnRefused: connection.dsnRefused,
  };
}

/**
 * pg's per-connection settings, from our option names and durations. Unset ones stay unset (the server's or pg's
 * default).
 */
function resolveSessionSettings(raw: Raw, check: DatabaseOptionChecker): Partial<ConnectionSettings> {
  const settings: Partial<ConnectionSettings> = {
    statement_timeout: check.positiveDuration(['statementTimeout'], undefined),
    query_timeout: check.positiveDuration(['queryTimeout'], undefined),
    lock_timeout: check.positiveDuration(['lockTimeout'], undefined),
    idle_in_transaction_session_timeout: check.positiveDuration(['idleInTransactionSessionTimeout'], undefined),
    keepAlive: typeof raw.keepAlive === 'boolean' ? raw.keepAlive : undefined,
    keepAliveInitialDelayMillis: check.positiveDuration(['keepAliveInitialDelay'], undefined),
    options: typeof raw.options === 'string' ? raw.options : undefined,
    types: raw.types as ConnectionSettings['types'],
    stream: raw.stream as ConnectionSettings['stream'],
  };
  return Object.fromEntries(Object.entries(settings).filter(([, value]) => value !== undefined));
}

/** sessionRole joins `options` (the option's or the dsn's): the pool, `doctor`, `exec` and `url` all log in with it. */
function applySessionRole(settings: ConnectionSettings, raw: Raw, check: DatabaseOptionChecker): void {
  if (typeof raw.sessionRole !== 'string' || raw.sessionRole === '') return;
  if (setsRole(settings.options)) {
    check.fail(['sessionRole'], configMessages.sessionRoleConflict(check.keyName(['options'])));
    return;
  }
  settings.options = withSessionRole(settings.options, raw.sessionRole);
}

function fromZodIssue(issue: z.core.$ZodIssue, input: Raw, keyName: KeyNamer): Problem[] {
  const path = issue.path.map(String);
  if (issue.code === 'unrecognized_keys') {
    // Spelled as the user writes keys: max_idle_connections in a YAML file.
    const known = (knownKeys[path.join('.')] ?? []).map((key) =>
      keyName([...path, key])
        .split('.')
        .at(-1)!,
    );
    return issue.keys.map((key) => ({ path: [...path, key], message: configMessages.unknownKey(known) }));
  }
  if (issue.code === 'invalid_type') {
    const given = valueAtPath(input, path);
    // A required key's schema carries its own "is required: …" message, for when it is missing.
    if (given === undefined) return [{ path, message: issue.message }];
    const expected = issue.expected === 'record' ? 'object' : issue.expected;
    return [
      { path, message: messages.wrongType(`${/^[aeiou]/.test(expected) ? 'an' : 'a'} ${expected}`, kindOf(given)) },
    ];
  }
  return [{ path, message: issue.message }];
}

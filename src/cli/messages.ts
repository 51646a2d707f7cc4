/**
 * The `doctor` command's sentences: one catalogue per area (see errors/messages.ts for the rule).
 * A report is pasted into tickets, so none of them takes a secret.
 */
export const cliMessages = {
  usage: `Usage: nestjs-rotating-pg doctor [--config config.yaml] [--connection name] [--json]

Runs the IAM / rotation checklist against a real database. Without --config it reads
DATABASE_URL and DB_AUTH (password | iam | secrets-manager) with AWS_REGION, DB_IAM_USER,
DB_SECRET_ID. Exit code 0 only when no check fails.`,
  nothingToCheck: (usage: string) => `Nothing to check: pass --config, or set DATABASE_URL.\n\n${usage}`,
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
  backendsYoung: (count: number, lifetime: string) =>
    `${count} other backend(s) of this user, none older than ${lifetime}`,
  backendsTooOld: (count: number, lifetime: string, backends: readonly string[]) =>
    `${count} backend(s) older than ${lifetime}: ${backends.join(', ')}`,
  oldBackend: (pid: number, applicationName: string, ageSeconds: number) =>
    `pid ${pid} (${applicationName || 'no name'}, ${ageSeconds}s)`,
  recycleBackends: (lifetimeKey: string) =>
    `Whatever holds these connections does not recycle them: set ${lifetimeKey} below 15m (14m) there.`,
} as const;

/**
 * The health indicator's sentences: one catalogue per area (see errors/messages.ts for the rule).
 * They go to whoever reads `/health`, so they name no host, user or secret.
 */
export const healthMessages = {
  healthDownNoDetails: () => "the database did not answer SELECT 1; the application's log says why",
  noSuchConnection: (connection: string) => `no database connection named "${connection}" is registered`,
  pingTimedOut: (timeoutMs: number) => `no answer to SELECT 1 within ${timeoutMs} ms`,
} as const;

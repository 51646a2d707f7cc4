/**
 * The three levels the module writes at: the shape of Nest's `Logger`, which is what DbService
 * passes in. One interface for the pool, the credential log and anything else that logs, so a
 * test's captured logger fits all of them.
 */
export interface ModuleLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

import pg from 'pg';

/** An ERROR-level SQL error leaves a session intact; FATAL, PANIC or a broken socket do not. */
export function leavesSessionUsable(error: unknown): boolean {
  return error instanceof pg.DatabaseError && error.severity === 'ERROR';
}

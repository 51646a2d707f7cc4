import pg from 'pg';

/** An ERROR-level SQL error leaves a session intact; FATAL, PANIC or a broken socket do not. */
export function leavesSessionUsable(error: unknown): boolean {
  return error instanceof pg.DatabaseError && error.severity === 'ERROR';
}

/** pg's view of the session, read off the last ReadyForQuery message. */
interface SessionView {
  readyForQuery?: boolean;
  /** 'I' idle, 'T' in a transaction block, 'E' in a failed transaction block. */
  _txStatus?: string | null;
}

/**
 * Whether a client given back can serve the next caller: 'clean' outside any transaction,
 * 'dirty' inside an open or aborted one, 'pending' while pg has not yet read the ReadyForQuery
 * message that says which. pg hands a query its error as soon as the ErrorResponse arrives,
 * before that message: reading the status then would read the previous statement's.
 */
export function sessionState(client: pg.ClientBase): 'clean' | 'dirty' | 'pending' {
  const view = client as unknown as SessionView;
  if (view.readyForQuery === false) return 'pending';
  // Older pg (before the status was kept) says nothing: the session is taken as clean, as pg-pool does.
  const status = view._txStatus;
  return status === 'T' || status === 'E' ? 'dirty' : 'clean';
}

/**
 * A query whose connection died under it: pg's own errors, or Node's socket error when the peer
 * reset the connection with data unread. Matched by message, as Node's errors come from outside
 * Jest's realm (`instanceof Error` is false for them inside a test).
 */
export function connectionDiedUnderQuery(error: unknown): boolean {
  const message = String((error as { message?: unknown } | undefined)?.message ?? error);
  return /Connection terminated unexpectedly|Client has encountered a connection error|read ECONNRESET/.test(message);
}

/** How an unexpected failure reads in a test's output. */
export function describeFailure(error: unknown): string {
  const { name, message } = (error ?? {}) as { name?: unknown; message?: unknown };
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- a thrown message may be anything: String() it
  return message === undefined ? String(error) : `${String(name)}: ${String(message)}`;
}

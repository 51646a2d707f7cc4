import type pg from 'pg';
import type { Clock } from '../clock.js';

/**
 * How long a closing socket may take to be closed by the server before it is destroyed. A server
 * that answers closes within a round trip; one behind a dropped network never does, and its slot
 * must not be held for ever.
 */
export const SOCKET_CLOSE_GRACE_MS = 5_000;

/** The part of a socket this file uses: pg's `connection.stream`, a net.Socket or tls.TLSSocket. */
interface ClosableStream {
  destroy(): void;
  end?(): void;
  once?(event: 'close', listener: () => void): void;
  destroyed?: boolean;
  connecting?: boolean;
}

/**
 * Closes a logged-in connection: pg's `end()` sends Terminate and resolves when the server has
 * closed its side, which it does only after the backend has left `pg_stat_activity`. Until then
 * the connection still counts against `maxOpenConnections`, as the server counts it.
 */
export function endSession(client: pg.Client, clock: Clock): Promise<void> {
  return withinGrace(client.end(), streamOf(client), clock);
}

/**
 * Closes the socket of a login that failed or was abandoned half-way (pg gave up after the server
 * asked for a password; a TLS or protocol error). The server's backend waits in authentication
 * until `authentication_timeout` unless it reads end-of-file, so the socket is ended (not dropped:
 * the FIN is what the server reads) and counted until the server has closed it too.
 */
export function endLoginSocket(client: pg.Client | undefined, clock: Clock): Promise<void> {
  const stream = client && streamOf(client);
  if (!stream || stream.destroyed) return Promise.resolve();
  if (!stream.end || !stream.once || stream.connecting) {
    // Nothing reached a backend yet (or a stand-in without a socket): nothing to wait for.
    stream.destroy();
    return Promise.resolve();
  }
  const closed = new Promise<void>((resolve) => stream.once!('close', resolve));
  stream.end();
  return withinGrace(closed, stream, clock);
}

function streamOf(client: pg.Client): ClosableStream | undefined {
  return (client as unknown as { connection?: { stream?: ClosableStream } }).connection?.stream;
}

/** Resolves when `closing` settles; past the grace period the socket is destroyed, and that ends it. */
function withinGrace(closing: Promise<void>, stream: ClosableStream | undefined, clock: Clock): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = clock.setTimeout(() => {
      stream?.destroy();
      resolve();
    }, SOCKET_CLOSE_GRACE_MS);
    const done = (): void => {
      clock.clearTimeout(timer);
      resolve();
    };
    closing.then(done, done);
  });
}

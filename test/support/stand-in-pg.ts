import { EventEmitter } from 'node:events';
import pg from 'pg';
import type { ManualClock } from './manual-clock.js';

/**
 * A stand-in for a PostgreSQL server and pg's Client, on a manual clock, for unit and model-based
 * tests of the pool's rules. It keeps the server's view: every socket from the moment a login
 * starts until it is closed, whether it logged in, and under which user. Only the parts of pg.Client
 * the pool uses are here: connect(cb), query, end, the 'error' and 'end' events, and the session
 * state pg reads off ReadyForQuery (readyForQuery, _txStatus).
 */
export class StandInServer {
  /** Logins take this long on the clock. */
  loginMs = 5;
  /** Password each user logs in with; a user absent here does not exist. */
  readonly passwords = new Map<string, string>();
  /** Open sockets, as the server sees them. */
  readonly sockets = new Set<StandInClient>();
  /** Logins attempted, accepted or not. */
  logins = 0;
  refusedLogins = 0;
  /** Every client a login succeeded for. */
  readonly clients: StandInClient[] = [];
  /** Whether the network is down: connects fail with ECONNREFUSED. */
  unreachable = false;
  /**
   * Logins fail on the client's side half-way (a protocol or TLS error, a password function that
   * throws): the server keeps the backend waiting until the client closes its socket.
   */
  loginsBreakHalfWay = false;
  /**
   * How long the server takes to close a socket the client ended (Terminate, or end-of-file during a login): its
   * backend still counts, as in pg_stat_activity, until then. A destroyed socket goes at once.
   */
  closeMs = 0;

  constructor(readonly clock: ManualClock) {}

  /** The pool's client factory. */
  readonly createClient = (config: pg.ClientConfig): pg.Client =>
    new StandInClient(this, config) as unknown as pg.Client;

  /** Sockets of logged-in sessions by user. */
  sessionsOf(user: string): number {
    return [...this.sockets].filter((socket) => socket.loggedIn && socket.user === user).length;
  }
}

type QueryCallback = (error: Error | null, result?: unknown) => void;

export class StandInClient extends EventEmitter {
  readonly user: string;
  private readonly password: string;
  /** pg's connection, and under it the socket, as far as the pool uses them. */
  readonly connection = Object.assign(new EventEmitter(), { stream: new StandInSocket(this) });
  readyForQuery = false;
  _txStatus: 'I' | 'T' | 'E' | null = null;
  /** The session's real state on the server, which pg learns only from the next ReadyForQuery. */
  serverTxStatus: 'I' | 'T' | 'E' = 'I';
  loggedIn = false;
  loggedInAt = 0;
  ended = false;
  /** The pool replaces it on every checked-out client. */
  release?: (error?: Error | boolean) => void;

  constructor(
    private readonly server: StandInServer,
    config: pg.ClientConfig,
  ) {
    super();
    this.user = String(config.user);
    this.password = String(config.password);
  }

  connect(callback: (error?: Error | null) => void): void {
    const { server } = this;
    if (server.unreachable) {
      const error = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
      queueMicrotask(() => callback(error));
      return;
    }
    server.sockets.add(this);
    server.logins++;
    server.clock.setTimeout(() => {
      if (!server.sockets.has(this)) return callback(new Error('Connection terminated unexpectedly'));
      if (server.loginsBreakHalfWay)
        return callback(Object.assign(new Error('unexpected message during authentication'), { code: '08P01' }));
      if (server.passwords.get(this.user) !== this.password) {
        server.refusedLogins++;
        // The server ends the session after a refused login.
        server.sockets.delete(this);
        return callback(refusal(this.user));
      }
      this.loggedIn = true;
      this.loggedInAt = server.clock.now();
      this.readyForQuery = true;
      this._txStatus = 'I';
      server.clients.push(this);
      callback(null);
    }, server.loginMs);
  }

  /**
   * Runs one "statement": BEGIN, COMMIT, ROLLBACK, FAIL (an ERROR-level failure),
   * 'BEGIN; FAIL' (both in one simple query) or anything else (succeeds). As pg does, a
   * failure reaches the caller before ReadyForQuery, which follows one clock tick later.
   */
  query(text: string, valuesOrCallback?: unknown, maybeCallback?: QueryCallback): Promise<unknown> | void {
    const callback = (typeof valuesOrCallback === 'function' ? valuesOrCallback : maybeCallback) as
      QueryCallback | undefined;
    const running = this.run(text);
    if (!callback) return running;
    running.then(
      (result) => callback(null, result),
      (error: Error) => callback(error),
    );
  }

  end(): Promise<void> {
    return this.connection.stream.closedByServer();
  }

  /** The server ends the session (pg_terminate_backend, a restart). */
  kill(): void {
    if (!this.server.sockets.has(this)) return;
    this.server.sockets.delete(this);
    this.emit('error', new Error('terminating connection due to administrator command'));
    this.emit('end');
  }

  private async run(text: string): Promise<unknown> {
    if (!this.server.sockets.has(this) || !this.loggedIn) throw new Error('Client was closed and is not queryable');
    const statement = text.trim().toUpperCase();
    if (statement === 'ROLLBACK') {
      this._txStatus = this.serverTxStatus = 'I';
      return { rows: [], rowCount: 0 };
    }
    if (statement === 'FAIL' || statement === 'BEGIN; FAIL' || this._txStatus === 'E') {
      // One round trip: pg's status still shows the previous ReadyForQuery's until the next arrives.
      const inTransaction = this._txStatus !== 'I' || statement === 'BEGIN; FAIL';
      this.serverTxStatus = inTransaction ? 'E' : 'I';
      this.readyForQuery = false;
      this.server.clock.setTimeout(() => this.readyForQueryArrives(inTransaction ? 'E' : 'I'), 1);
      throw Object.assign(new pg.DatabaseError('division by zero', 0, 'error'), { severity: 'ERROR', code: '22012' });
    }
    if (statement === 'BEGIN') this._txStatus = this.serverTxStatus = 'T';
    if (statement === 'COMMIT') this._txStatus = this.serverTxStatus = 'I';
    return { rows: [{ ok: 1 }], rowCount: 1 };
  }

  private readyForQueryArrives(status: 'I' | 'T' | 'E'): void {
    if (!this.server.sockets.has(this)) return;
    this._txStatus = status;
    this.readyForQuery = true;
    this.connection.emit('readyForQuery', { status });
  }

  /** The socket is gone, on both sides. */
  dropSocket(): void {
    if (this.ended) return;
    this.ended = true;
    this.server.sockets.delete(this);
  }

  get closeMs(): number {
    return this.server.closeMs;
  }

  get clock(): ManualClock {
    return this.server.clock;
  }
}

/** The client's socket: ended, the server closes it after `closeMs`; destroyed, it is gone at once. */
class StandInSocket extends EventEmitter {
  destroyed = false;
  connecting = false;
  private closing?: Promise<void>;

  constructor(private readonly client: StandInClient) {
    super();
  }

  end(): void {
    void this.closedByServer();
  }

  destroy(): void {
    this.gone();
  }

  closedByServer(): Promise<void> {
    if (this.destroyed) return Promise.resolve();
    this.closing ??=
      this.client.closeMs === 0
        ? Promise.resolve(this.gone())
        : new Promise<void>((resolve) => this.client.clock.setTimeout(() => resolve(this.gone()), this.client.closeMs));
    return this.closing;
  }

  private gone(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.client.dropSocket();
    this.emit('close');
  }
}

function refusal(user: string): pg.DatabaseError {
  return Object.assign(new pg.DatabaseError(`password authentication failed for user "${user}"`, 0, 'error'), {
    severity: 'FATAL',
    code: '28P01',
    routine: 'auth_failed',
  });
}

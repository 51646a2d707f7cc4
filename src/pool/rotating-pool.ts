import type { EventEmitter } from 'node:events';
import pg from 'pg';
import { type Clock, systemClock } from '../clock.js';
import type { ModuleLogger } from '../common/logger.js';
import type { ResolvedDatabaseOptions } from '../config/resolved-options.js';
import type { CredentialCache } from '../credentials/credential-cache.js';
import type { Credentials } from '../credentials/credential-provider.interface.js';
import { classifyLoginError } from '../errors/login-errors.js';
import { messages } from '../errors/messages.js';
import { Checkout } from './checkout.js';
import { CheckoutErrors } from './checkout-errors.js';
import { IdleLimits } from './idle-limits.js';
import { LoginGate } from './login-gate.js';
import { PoolEvents } from './pool-events.js';
import { type CloseReason, type DatabaseStats, PoolCounters } from './pool-stats.js';
import { type PoolTimings, secondsSince } from './pool-timings.js';
import { PooledConnection } from './pooled-connection.js';
import { sessionState } from './session.js';
import { endLoginSocket, endSession } from './socket-close.js';
import { WaitQueue } from './wait-queue.js';

/**
 * What the pool needs; the credential source stays with the provider, out of reach of inspection, and metrics with
 * DbService.
 */
export type PoolOptions = Omit<ResolvedDatabaseOptions, 'credentialSource' | 'meterProvider' | 'durationMetrics'>;

/** Makes the pg.Client of one login; tests put a stand-in here. */
export type ClientFactory = (config: pg.ClientConfig) => pg.Client;

export interface RotatingPoolExtras {
  /** Jitter source; tests pin it. */
  random?: () => number;
  /** Time for every rule of the pool (deadlines, lifetimes, idle limits, backoff steps); tests drive a manual one. */
  clock?: Clock;
  createClient?: ClientFactory;
  /** Receives connect, wait and use durations; none are measured without it. */
  timings?: PoolTimings;
}

/**
 * The connection pool: one set of physical connections under one cap, whose logins take the
 * credentials current at the time, with per-connection lifetimes, Go-style idle rules, and login
 * recovery. A username rotation retires the old user's connections as they come back; both users'
 * connections count against the same `maxOpenConnections`. A refused login is the pool's concern,
 * not each caller's: it asks the credential source again (single-flight, throttled) while the
 * waiting checkouts wait for the answer, so a wrong password costs the database one login per
 * backoff step, not one per request.
 *
 * Only logins are retried, never a query.
 */
export class RotatingPool {
  private readonly connections = new Set<PooledConnection>();
  /** Idle connections, the most recently used last (handed out first, so the rest can reach their idle limit). */
  private readonly idle: PooledConnection[] = [];
  private readonly waiting: WaitQueue;
  private readonly idleLimits: IdleLimits;
  private readonly gate: LoginGate;
  private readonly counters = new PoolCounters();
  private readonly errors: CheckoutErrors;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly createClient: ClientFactory;
  private readonly timings?: PoolTimings;
  /** Logins under way (credentials fetch or connect). */
  private opening = 0;
  /** The username new logins use. */
  private username?: string;
  /** Usernames rotated away from whose connections are still open, with the username that replaced each. */
  private readonly draining = new Map<string, string>();
  private closed = false;
  private ending?: Promise<void>;
  private ended = false;
  private allClosed?: () => void;
  /**
   * Sockets still closing, until the server has closed its side: they count against maxOpenConnections (the server
   * still counts their backends), and `end` waits for them so that nothing keeps the process alive.
   */
  private readonly closing = new Set<Promise<void>>();
  private readonly events = new PoolEvents();

  constructor(
    private readonly options: PoolOptions,
    private readonly credentials: CredentialCache,
    private readonly logger: ModuleLogger,
    extras: RotatingPoolExtras = {},
  ) {
    this.clock = extras.clock ?? systemClock;
    this.random = extras.random ?? Math.random;
    this.createClient = extras.createClient ?? ((config) => new pg.Client(config));
    this.timings = extras.timings;
    const { host, port } = options.connection;
    this.errors = new CheckoutErrors({
      name: options.name,
      address: `${host}:${port}`,
      connectionTimeoutMs: options.connectionTimeoutMs,
      counters: this.counters,
      logError: (message) => logger.error(message),
    });
    this.idleLimits = new IdleLimits(this.clock, options, this.idle, (connection, reason) =>
      this.close(connection, reason),
    );
    this.waiting = new WaitQueue(this.clock, (checkout) => this.timedOut(checkout));
    this.gate = new LoginGate(credentials, this.clock, {
      retry: () => this.pump(),
      failDue: (nextLoginAt) => this.failRefused(nextLoginAt),
    });
    credentials.subscribe({ changed: (_previous, next) => this.credentialsChanged(next) });
  }

  /** Fetches the first credentials; no connection is opened until the first query. */
  async initialize(): Promise<void> {
    const credentials = await this.credentials.initialize();
    this.username ??= credentials.username;
  }

  /**
   * A client for one unit of work; give it back with `client.release(err?)`, as with any pg.Pool.
   * The hot path is an idle connection within its deadline: no timer, no promise but the one returned.
   */
  acquire(): Promise<pg.PoolClient> {
    if (this.closed || this.username === undefined) return Promise.reject(this.errors.closed());
    const now = this.clock.now();
    const connection = this.takeIdle(now);
    if (connection) return Promise.resolve(this.handOut(connection, this.timings ? performance.now() : 0));
    return new Promise((resolve, reject) => {
      const askedAt = this.timings ? performance.now() : 0;
      const deadline = now + this.options.connectionTimeoutMs;
      const refusal = this.gate.refusalBlocking(deadline);
      if (refusal)
        return reject(
          this.errors.gaveUpOnLogin(refusal.error, refusal.username, {
            refusals: refusal.count,
            firstRevision: refusal.revision,
            revision: refusal.revision,
          }),
        );
      const poolBusy = !this.hasFreeSlot();
      this.waiting.push(
        new Checkout(
          resolve,
          reject,
          deadline,
          poolBusy ? now : undefined,
          askedAt,
          this.credentials.revision,
          this.gate.refusal ? 1 : 0,
        ),
      );
      this.pump();
    });
  }

  stats(): DatabaseStats {
    const { total, idle, waiting } = this.counts();
    return {
      maxOpenConnections: this.options.maxOpenConnections,
      openConnections: total,
      inUse: this.connections.size - idle,
      idle,
      waiting,
      ...this.counters,
      ...this.credentials.counters,
      generations: this.usernamesInUse().size,
      credentials: this.credentials.status(),
    };
  }

  /**
   * pg.Pool's counts: connections open, opening or still closing (as Go's OpenConnections, and as the server counts
   * them), idle, checkouts waiting, and connections past their deadline.
   */
  counts(): { total: number; idle: number; waiting: number; expired: number } {
    const now = this.clock.now();
    let expired = 0;
    for (const connection of this.connections) if (now >= connection.deadline) expired++;
    const total = this.connections.size + this.closing.size;
    return { total, idle: this.idle.length, waiting: this.waiting.length, expired };
  }

  /**
   * pg.Pool options of new logins, the password only as a function (ORMs read `options`; Kysely and TypeORM among
   * them).
   */
  get currentPoolOptions(): pg.PoolConfig | undefined {
    if (this.username === undefined) return undefined;
    return {
      ...this.options.connection,
      user: this.username,
      password: () => this.credentials.get().then((credentials) => credentials.password),
      max: this.options.maxOpenConnections,
      connectionTimeoutMillis: this.options.connectionTimeoutMs,
      idleTimeoutMillis: this.options.connectionMaxIdleTimeMs,
    };
  }

  get isEnding(): boolean {
    return this.closed;
  }

  get isEnded(): boolean {
    return this.ended;
  }

  /**
   * Emits the pool's events (pg.Pool's: connect, acquire, release, remove, error) on `sink`, each from its first
   * listener on.
   */
  forwardEventsTo(sink: EventEmitter): void {
    this.events.emitOn(sink);
  }

  /**
   * Ends the pool: waiting checkouts fail at once with DatabasePoolClosedError, idle connections
   * close, connections in use close when given back, and credential timers stop. Safe to call any
   * number of times, from the module's shutdown and from an ORM's: every call resolves once every
   * socket has closed.
   */
  end(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.gate.stop();
      this.idleLimits.stop();
      for (const checkout of this.waiting.takeAll()) checkout.fail(this.errors.closed());
      for (const connection of [...this.idle]) this.close(connection, 'shutdown');
    }
    this.ending ??= (async () => {
      if (this.connections.size > 0) await new Promise<void>((resolve) => (this.allClosed = resolve));
      while (this.closing.size > 0) await Promise.all(this.closing);
      await this.credentials.close();
      this.ended = true;
    })();
    return this.ending;
  }

  /** Takes the most recently used idle connection that may still be handed out; closes those past their deadline. */
  private takeIdle(now: number): PooledConnection | undefined {
    for (;;) {
      const connection = this.idle.pop();
      if (!connection || now < connection.deadline) return connection;
      this.close(connection, 'lifetime');
    }
  }

  /** Lends a connection to a caller. `askedAt` is performance.now() when it asked, for the wait-time metric. */
  private handOut(connection: PooledConnection, askedAt: number): pg.PoolClient {
    connection.state = 'busy';
    const client = connection.client!;
    if (this.timings) {
      connection.handedOutAt = performance.now();
      this.timings.connectionWaited((connection.handedOutAt - askedAt) / 1000);
    }
    this.events.acquire(client);
    return client;
  }

  /**
   * Serves waiting checkouts from idle connections, and opens logins for the rest while the cap and the login gate
   * allow.
   */
  private pump(): void {
    if (this.closed) return;
    while (this.waiting.length > 0) {
      const connection = this.takeIdle(this.clock.now());
      if (!connection) break;
      this.serve(this.waiting.shift()!, connection);
    }
    while (this.waiting.length > this.opening && this.hasFreeSlot() && this.gate.allowsLogin()) {
      this.open();
    }
  }

  /** Under the cap, as the server counts it: open connections, logins under way and sockets still closing. */
  private hasFreeSlot(): boolean {
    return this.connections.size + this.closing.size < this.options.maxOpenConnections;
  }

  private serve(checkout: Checkout, connection: PooledConnection): void {
    if (checkout.waitedForBusyPoolSince !== undefined) {
      this.counters.waitCount++;
      this.counters.waitDurationMs += this.clock.now() - checkout.waitedForBusyPoolSince;
    }
    if (checkout.refusals > 0) this.counters.authRecoveries++;
    checkout.handOver(this.handOut(connection, checkout.askedAt));
  }

  /** One login: the credentials first (no socket opens without them), then the connection. */
  private open(): void {
    const connection = new PooledConnection();
    this.connections.add(connection);
    this.opening++;
    this.credentials.get().then(
      (credentials) => this.login(connection, credentials, this.credentials.revision),
      (error: unknown) => this.loginFailed(connection, error),
    );
  }

  private login(connection: PooledConnection, credentials: Credentials, revision: number): void {
    connection.username = credentials.username;
    connection.revision = revision;
    connection.sessionsEndAt = credentials.sessionsEndAt?.getTime();
    if (this.closed) return this.loginFailed(connection, this.errors.closed());
    const client = this.createClient({
      ...this.options.connection,
      user: credentials.username,
      password: credentials.password,
      connectionTimeoutMillis: this.options.connectionTimeoutMs,
    }) as pg.PoolClient;
    connection.client = client;
    // pg emits 'error' on a client whose socket dies; without a listener that would crash the process.
    client.on('error', (error: Error) => this.socketFailed(connection, error));
    client.on('end', () => this.socketFailed(connection));
    const startedAt = this.timings ? performance.now() : 0;
    client.connect((error?: Error | null) => {
      if (error) return this.loginFailed(connection, error);
      if (this.timings) this.timings.connectionCreated(secondsSince(startedAt));
      this.loggedIn(connection);
    });
  }

  private loggedIn(connection: PooledConnection): void {
    this.opening--;
    const client = connection.client!;
    forgetPassword(client);
    this.counters.opened++;
    this.credentials.loginSucceeded();
    this.gate.accepted(connection.revision);
    const now = this.clock.now();
    // Credentials whose sessions must end (a Vault lease) cut the lifetime short; the jitter shrinks in proportion, so
    // a short lease still spreads its closes without closing most connections at once.
    const longest = Math.min(this.options.connectionMaxLifetimeMs, (connection.sessionsEndAt ?? Infinity) - now);
    const jitterMs = this.options.connectionMaxLifetimeJitterMs * (longest / this.options.connectionMaxLifetimeMs);
    const lifetime = Math.max(0, longest - this.random() * jitterMs);
    connection.deadline = now + lifetime;
    connection.lifetimeTimer = this.clock.setTimeout(() => this.closeIfIdle(connection, 'lifetime'), lifetime);
    client.release = (error?: Error | boolean) => this.release(connection, error);
    this.events.connect(client);
    connection.state = 'busy';
    this.keep(connection, now);
    // An accepted login after a refusal lets the other waiting checkouts log in together again.
    if (this.waiting.length > 0) this.pump();
  }

  /**
   * A login that did not happen: the credentials fetch failed, pg failed to connect, or the server
   * refused. The socket, if any, is ended at once: a half-finished login would otherwise hold
   * a backend (and a `max_connections` slot) on the server until `authentication_timeout`.
   */
  private loginFailed(connection: PooledConnection, error: unknown): void {
    this.opening--;
    connection.state = 'closed';
    this.trackClosing(endLoginSocket(connection.client, this.clock));
    this.connections.delete(connection);
    if (this.closed) return this.afterClose();
    const refusal = classifyLoginError(error);
    if (refusal === 'refused') {
      this.counters.authFailures++;
      this.waiting.forEach((checkout) => checkout.refusals++);
      this.gate.refused(connection.revision, connection.username, error);
      return this.pump();
    }
    this.gate.failed();
    if (refusal === 'not-permitted') this.counters.authFailures++;
    const checkout = this.waiting.shift();
    if (checkout) {
      const username = connection.username || this.username!;
      const failure =
        refusal === 'not-permitted'
          ? this.errors.gaveUpOnLogin(error, username, {
              refusals: 1,
              firstRevision: connection.revision,
              revision: connection.revision,
            })
          : this.errors.connectFailed(error, username);
      checkout.fail(failure);
    }
    this.pump();
  }

  /** Fails the checkouts that cannot outlast the refusal: their deadline comes before the next login is allowed. */
  private failRefused(nextLoginAt: number): void {
    const refusal = this.gate.refusal;
    if (!refusal) return;
    for (const checkout of this.waiting.takeDueBy(nextLoginAt)) checkout.giveUpOn(refusal, this.errors);
  }

  /**
   * A checkout's connectionTimeout ran out. While no login has been accepted since the last
   * refusal, that refusal is why: the credentials are what the caller needs to hear about.
   */
  private timedOut(checkout: Checkout): void {
    const refusal = this.gate.lastRefusal;
    if (refusal) checkout.giveUpOn(refusal, this.errors);
    else checkout.fail(this.errors.timedOut());
  }

  /** `client.release(err?)`: the one place a connection given back is kept or closed. */
  private release(connection: PooledConnection, error?: Error | boolean): void {
    if (connection.state !== 'busy') throw new Error(messages.doubleRelease());
    const client = connection.client!;
    if (this.timings) this.timings.connectionUsed(secondsSince(connection.handedOutAt));
    this.events.release(error instanceof Error ? error : undefined, client);
    if (error || connection.broken) return this.close(connection, 'error');
    const session = sessionState(client);
    if (session === 'pending') {
      // The error reached the caller before ReadyForQuery: the session's state is in that message.
      connection.state = 'settling';
      client.connection.once('readyForQuery', () => this.settle(connection));
      return;
    }
    if (session === 'dirty') return this.close(connection, 'error');
    this.keep(connection, this.clock.now());
  }

  /** A connection given back before ReadyForQuery, now that pg has read it. */
  private settle(connection: PooledConnection): void {
    if (connection.state !== 'settling') return;
    connection.state = 'busy';
    const session = sessionState(connection.client!);
    if (session === 'pending') {
      connection.state = 'settling';
      connection.client!.connection.once('readyForQuery', () => this.settle(connection));
      return;
    }
    if (session === 'dirty' || connection.broken) return this.close(connection, 'error');
    this.keep(connection, this.clock.now());
  }

  /**
   * A healthy connection back from use (or fresh from its login): to a waiting checkout, to the idle set, or closed.
   */
  private keep(connection: PooledConnection, now: number): void {
    if (this.closed) return this.close(connection, 'shutdown');
    if (connection.username !== this.username) return this.close(connection, 'rotation');
    if (now >= connection.deadline) return this.close(connection, 'lifetime');
    const checkout = this.waiting.shift();
    if (checkout) return this.serve(checkout, connection);
    connection.state = 'idle';
    connection.idleSince = now;
    this.idle.push(connection);
    this.idleLimits.wentIdle(connection);
  }

  /** A connection's deadline came: an idle one closes now, one in use when it comes back. */
  private closeIfIdle(connection: PooledConnection, reason: CloseReason): void {
    if (connection.state === 'idle') this.close(connection, reason);
  }

  /** The socket under a connection failed or ended (the server closed it, the network dropped it). */
  private socketFailed(connection: PooledConnection, error?: Error): void {
    if (connection.state === 'opening' || connection.state === 'closed') return;
    connection.broken = true;
    if (connection.state === 'busy') return; // the caller's query fails; closed when given back
    const wasIdle = connection.state === 'idle';
    this.close(connection, 'error');
    if (!error || !wasIdle) return;
    this.logger.warn(messages.idleConnectionFailed(this.options.name, error.message));
    this.events.idleConnectionFailed(error, connection.client!);
  }

  /** Closes a connection for one reason, counted the moment it is decided. */
  private close(connection: PooledConnection, reason: CloseReason): void {
    if (connection.closeReason) return;
    connection.closeReason = reason;
    this.counters.countClose(reason);
    if (connection.state === 'idle') this.idle.splice(this.idle.indexOf(connection), 1);
    connection.state = 'closed';
    this.connections.delete(connection);
    this.clock.clearTimeout(connection.lifetimeTimer);
    this.clock.clearTimeout(connection.idleTimer);
    const client = connection.client!;
    this.events.remove(client);
    this.trackClosing(endSession(client, this.clock));
    this.afterClose(connection.username);
  }

  /** A socket closing holds its slot until the server has closed it; then waiting checkouts may log in. */
  private trackClosing(closing: Promise<void>): void {
    this.closing.add(closing);
    void closing.then(() => {
      this.closing.delete(closing);
      this.pump();
    });
  }

  /**
   * A slot is free: serve waiting checkouts, tell when a rotated-away user's last connection is gone, finish ending.
   */
  private afterClose(username?: string): void {
    const replacedBy = username === undefined ? undefined : this.draining.get(username);
    if (replacedBy !== undefined && !this.usernamesInUse().has(username!)) {
      this.draining.delete(username!);
      if (!this.closed) this.logger.log(messages.generationDrained(username!, replacedBy));
    }
    if (this.closed) {
      if (this.connections.size === 0) this.allClosed?.();
      return;
    }
    this.pump();
  }

  /**
   * New credentials: a new username retires the old one's connections; any change lets waiting checkouts log in again.
   */
  private credentialsChanged(next: Credentials): void {
    const previous = this.username;
    if (previous !== undefined && next.username !== previous) {
      this.username = next.username;
      this.draining.delete(next.username);
      this.draining.set(previous, next.username);
      for (const connection of this.idle.filter((candidate) => candidate.username !== next.username))
        this.close(connection, 'rotation');
      if (!this.usernamesInUse().has(previous)) this.afterClose(previous);
    }
    this.gate.credentialsChanged();
  }

  /** The usernames of open connections, and the current one. */
  private usernamesInUse(): Set<string> {
    const usernames = new Set<string>(this.username === undefined ? [] : [this.username]);
    for (const connection of this.connections) if (connection.username) usernames.add(connection.username);
    return usernames;
  }
}

/**
 * pg keeps the password it logged in with on the client (hidden, but `util.inspect` with
 * `showHidden` shows it) for the life of the connection. Nothing needs it after the login: a
 * new connection takes the credentials current then.
 */
function forgetPassword(client: pg.PoolClient): void {
  const loggedIn = client as unknown as { password: unknown; connectionParameters?: { password: unknown } };
  loggedIn.password = null;
  if (loggedIn.connectionParameters) loggedIn.connectionParameters.password = null;
}

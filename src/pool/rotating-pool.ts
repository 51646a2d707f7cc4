import type { EventEmitter } from 'node:events';
import pg from 'pg';
import type { ResolvedDatabaseOptions } from '../config/resolved-options.js';
import type { CredentialCache } from '../credentials/credential-cache.js';
import { RotatingPgError } from '../errors/errors.js';
import { classifyLoginError } from '../errors/login-errors.js';
import { messages } from '../errors/messages.js';
import { CheckoutDeadlineError, CheckoutErrors } from './checkout-errors.js';
import { beforeDeadline, sleep } from './deadline.js';
import { Generation, type GiveBack } from './generation.js';
import { type DatabaseStats, PoolCounters } from './pool-stats.js';
import { type PoolTimings, secondsSince } from './pool-timings.js';
import { timedClientClass } from './timed-client.js';

/** What the pool needs; the credential source stays with the provider, out of reach of inspection, and metrics with DbService. */
export type PoolOptions = Omit<ResolvedDatabaseOptions, 'credentialSource' | 'meterProvider' | 'durationMetrics'>;

/** pg.Pool's events, re-emitted by the pg.Pool handed to ORMs. */
const POOL_EVENTS = ['connect', 'acquire', 'release', 'remove', 'error'] as const;
type PoolEvent = (typeof POOL_EVENTS)[number];

/** Logins one checkout may attempt before it gives up with the last refusal. */
const MAX_LOGIN_ATTEMPTS = 6;

export interface PoolLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface RotatingPoolExtras {
  /** Jitter source; tests pin it. */
  random?: () => number;
  /** Receives connect, wait and use durations; none are measured without it. */
  timings?: PoolTimings;
}

/** Thrown by a generation's password function once its username is no longer current. */
class StaleGenerationError extends Error {
  override readonly name = 'StaleGenerationError';
}

/**
 * pg-pool's timers fire against the event loop's clock, which may lag `Date.now()` taken at the
 * start of a checkout by the work done in that loop turn: a failure this close to the deadline is
 * the deadline.
 */
const DEADLINE_SLACK_MS = 100;

/**
 * A pg-pool per username generation, with per-connection lifetimes, Go-style idle rules, and
 * login recovery: a refused login refreshes the credentials (single-flight, throttled) and
 * retries the login, never a query.
 */
export class RotatingPool {
  private current?: Generation;
  private readonly generations = new Set<Generation>();
  private readonly counters = new PoolCounters();
  private closed = false;
  private ending?: Promise<void>;
  private ended = false;
  /** Receives every generation's pg-pool events (the pg.Pool handed to ORMs re-emits them). */
  private eventSink?: EventEmitter;
  /** Events someone listens to on the sink: only those are forwarded, so checkouts cost nothing extra otherwise. */
  private readonly forwarded = new Set<PoolEvent>();
  private readonly random: () => number;
  private readonly timings?: PoolTimings;
  /** pg.Client with connect timing, when timings are wanted. */
  private readonly clientClass?: typeof pg.Client;
  private readonly errors: CheckoutErrors;
  /**
   * Checkouts waiting in a pg-pool queue, each with the way to fail it: pg-pool stops serving its
   * queue once ending, so without this they would wait out their connection timeout at shutdown.
   */
  private readonly queued = new Set<() => void>();

  constructor(
    private readonly options: PoolOptions,
    private readonly credentials: CredentialCache,
    private readonly logger: PoolLogger,
    extras: RotatingPoolExtras = {},
  ) {
    this.random = extras.random ?? Math.random;
    const { host, port } = options.connection;
    this.errors = new CheckoutErrors({
      name: options.name,
      address: `${host}:${port}`,
      connectionTimeoutMs: options.connectionTimeoutMs,
      counters: this.counters,
      logError: (message) => logger.error(message),
    });
    this.timings = extras.timings;
    if (this.timings) this.clientClass = timedClientClass((seconds) => this.timings!.connectionCreated(seconds));
    credentials.subscribe({
      changed: (_previous, next) => {
        if (this.current && next.username !== this.current.username) this.rotateTo(next.username);
      },
    });
  }

  /** Fetches the first credentials; no connection is opened until the first query. */
  async initialize(): Promise<void> {
    const credentials = await this.credentials.initialize();
    this.current ??= this.createGeneration(credentials.username);
  }

  /**
   * A client for one unit of work; give it back with `client.release(err?)`, as with any pg.Pool.
   *
   * The first attempt is every query's hot path: pg-pool's callback form (no promise of pg-pool's
   * own) with the whole budget, which pg-pool's own timer enforces (no timer of ours). Anything but
   * a plain hand-out (a refused login, a rotation, a client past its deadline, an error) goes on
   * in `acquireAgain`, the one place that decides retries.
   */
  acquire(): Promise<pg.PoolClient> {
    const generation = this.current;
    if (this.closed || !generation) return Promise.reject(this.errors.closed());
    const startedAt = Date.now();
    const askedAt = this.timings ? performance.now() : 0;
    const revision = this.credentials.revision;
    const waitStartedAt = this.mustWait(generation) ? startedAt : undefined;
    return new Promise((resolve, reject) => {
      const stopWaiting = waitStartedAt === undefined ? undefined : this.failIfEndedWhileWaiting(reject);
      generation.pool.connect((error: Error | undefined, client: pg.PoolClient | undefined) => {
        if (stopWaiting && !stopWaiting()) {
          // Failed when the pool ended: a client that still arrives goes straight back (pg-pool closes it).
          client?.release();
          return;
        }
        // pg-pool calls this from its own queue: a throw here would escape as an uncaught exception.
        try {
          const handedOver = error ? undefined : this.handOver(generation, client!, waitStartedAt, askedAt, false);
          if (handedOver) return resolve(handedOver);
          this.acquireAgain(startedAt, askedAt, revision, error && { error, generation, revision }).then(resolve, reject);
        } catch (thrown) {
          reject(thrown);
        }
      });
    });
  }

  /**
   * Retries a checkout within what is left of its budget: after a refused login (with credentials
   * refreshed, single-flight and throttled), after a rotation, or after a client past its deadline.
   */
  private async acquireAgain(startedAt: number, askedAt: number, firstRevision: number, firstFailure?: FailedAttempt): Promise<pg.PoolClient> {
    const deadline = startedAt + this.options.connectionTimeoutMs;
    let refusals = 0;
    let lastError: unknown;
    // The revision of the last refused login: a later attempt may run out of time with newer credentials it never tried.
    let refusedRevision = firstRevision;
    let failure = firstFailure;
    for (;;) {
      if (failure) {
        const { error, generation, revision } = failure;
        failure = undefined;
        if (error instanceof StaleGenerationError) {
          // A waiter just left the old generation's queue: it may end now.
          generation.retire();
          continue;
        }
        // Ended under this checkout: pg-pool says "Cannot use a pool after calling end", or a wait `end` could not reach timed out.
        if (this.closed && !(error instanceof RotatingPgError)) throw this.errors.closed();
        const refusal = classifyLoginError(error);
        if (refusal === undefined) {
          const outOfTime = error instanceof CheckoutDeadlineError || (!(error instanceof pg.DatabaseError) && Date.now() >= deadline - DEADLINE_SLACK_MS);
          throw outOfTime ? this.errors.timedOut(lastError ?? error, generation.username, { refusals, firstRevision, revision: refusedRevision }) : this.errors.connectFailed(error, generation.username);
        }
        this.counters.authFailures++;
        refusals++;
        lastError = error;
        refusedRevision = revision;
        const worthRetrying = refusal === 'refused' && refusals < MAX_LOGIN_ATTEMPTS;
        // A slow source (Secrets Manager retrying its own failures) must not hold the caller past its budget.
        const wait = worthRetrying ? await beforeDeadline(this.credentials.recoverFromRejection(revision), deadline) : Infinity;
        if (Date.now() + wait >= deadline) throw this.errors.gaveUpOnLogin(error, generation.username, { refusals, firstRevision, revision: refusedRevision });
        if (wait > 0) await sleep(wait);
        continue;
      }
      const generation = this.current;
      if (this.closed || !generation) throw this.errors.closed();
      const revision = this.credentials.revision;
      const waitStartedAt = this.mustWait(generation) ? Date.now() : undefined;
      let client: pg.PoolClient;
      try {
        client = await this.connectBefore(generation, deadline);
      } catch (error) {
        failure = { error, generation, revision };
        continue;
      }
      const handedOver = this.handOver(generation, client, waitStartedAt, askedAt, refusals > 0);
      if (handedOver) return handedOver;
    }
  }

  /** Whether a checkout from this generation queues behind the ones in use. */
  private mustWait({ pool }: Generation): boolean {
    return pool.idleCount === 0 && pool.totalCount >= this.options.maxOpenConnections;
  }

  /** Gives the caller a client pg-pool handed this checkout; undefined when it was past its deadline and closed (ask again). */
  private handOver(generation: Generation, client: pg.PoolClient, waitStartedAt: number | undefined, askedAt: number, recovered: boolean): pg.PoolClient | undefined {
    if (waitStartedAt !== undefined) {
      this.counters.waitCount++;
      this.counters.waitDurationMs += Date.now() - waitStartedAt;
    }
    const giveBack = client.release;
    if (!generation.handOut(client, giveBack)) return undefined;
    if (recovered) this.counters.authRecoveries++;
    // One timestamp ends the wait and starts the use.
    const handedOutAt = this.timings ? performance.now() : 0;
    if (this.timings) this.timings.connectionWaited((handedOutAt - askedAt) / 1000);
    return this.routeReleaseThrough(generation, client, giveBack, handedOutAt);
  }

  /**
   * pool.connect() bounded by what is left of the checkout's budget. A connection that arrives
   * too late goes straight back to its generation.
   */
  private async connectBefore(generation: Generation, deadline: number): Promise<pg.PoolClient> {
    const connecting = generation.pool.connect();
    let timer: NodeJS.Timeout | undefined;
    let stopWaiting!: () => boolean;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new CheckoutDeadlineError()), Math.max(0, deadline - Date.now()));
      stopWaiting = this.failIfEndedWhileWaiting(reject);
    });
    try {
      return await Promise.race([connecting, late]);
    } catch (error) {
      connecting.then((client) => generation.giveBack(client, client.release, false), () => undefined);
      throw error;
    } finally {
      clearTimeout(timer);
      stopWaiting();
    }
  }

  /**
   * Has `reject` called with DatabasePoolClosedError if the pool ends while the checkout waits in
   * a pg-pool queue. The function returned ends the wait: false when the pool has already failed it.
   */
  private failIfEndedWhileWaiting(reject: (error: Error) => void): () => boolean {
    const fail = () => reject(this.errors.closed());
    this.queued.add(fail);
    return () => this.queued.delete(fail);
  }

  /**
   * Callers (ours and ORMs') give a client back with `client.release(err?)`; the decision to
   * keep or close it stays with its generation, so pg-pool's own release is put aside for it.
   */
  private routeReleaseThrough(generation: Generation, client: pg.PoolClient, giveBack: GiveBack, handedOutAt: number): pg.PoolClient {
    let released = false;
    const { timings } = this;
    client.release = (error?: Error | boolean) => {
      if (released) throw new Error(messages.doubleRelease());
      released = true;
      if (timings) timings.connectionUsed(secondsSince(handedOutAt));
      generation.giveBack(client, giveBack, Boolean(error));
    };
    return client;
  }

  stats(): DatabaseStats {
    const { total, idle, waiting } = this.counts();
    return {
      maxOpenConnections: this.options.maxOpenConnections,
      openConnections: total,
      inUse: total - idle,
      idle,
      waiting,
      ...this.counters,
      ...this.credentials.counters,
      generations: this.generations.size,
      credentials: this.credentials.status(),
    };
  }

  /** pg.Pool's counts, summed over the generations. */
  counts(): { total: number; idle: number; waiting: number; expired: number } {
    const counts = { total: 0, idle: 0, waiting: 0, expired: 0 };
    for (const generation of this.generations) {
      const { pool } = generation;
      counts.total += pool.totalCount;
      counts.idle += pool.idleCount;
      counts.waiting += pool.waitingCount;
      counts.expired += generation.expiredCount;
    }
    return counts;
  }

  /** pg-pool options of the generation new connections come from; the password is a function there. */
  get currentPoolOptions(): pg.PoolOptions | undefined {
    return this.current?.pool.options;
  }

  get isEnding(): boolean {
    return this.closed;
  }

  get isEnded(): boolean {
    return this.ended;
  }

  /** Re-emits the pg-pool events of every generation, present and future, on `sink`, from its first listener on. */
  forwardEventsTo(sink: EventEmitter): void {
    this.eventSink = sink;
    sink.on('newListener', (event: string | symbol) => {
      if (!POOL_EVENTS.includes(event as PoolEvent) || this.forwarded.has(event as PoolEvent)) return;
      this.forwarded.add(event as PoolEvent);
      for (const generation of this.generations) this.forward(generation, event as PoolEvent);
    });
  }

  /**
   * Ends every generation (waiting for checked-out clients) and stops credential timers; checkouts
   * still waiting for a connection fail at once with DatabasePoolClosedError. Safe to call any
   * number of times, from the module's shutdown and from an ORM's: every call resolves when the
   * pool has ended.
   */
  end(): Promise<void> {
    this.closed = true;
    for (const fail of this.queued) fail();
    this.queued.clear();
    this.ending ??= (async () => {
      await Promise.all([...this.generations].map((generation) => generation.end('shutdown')));
      await this.credentials.close();
      this.ended = true;
    })();
    return this.ending;
  }

  private rotateTo(username: string): void {
    const old = this.current;
    this.current = this.createGeneration(username);
    if (!old) return;
    void old.ended.then(() => {
      if (!this.closed) this.logger.log(messages.generationDrained(old.username, username));
    });
    old.retire();
  }

  private createGeneration(username: string): Generation {
    const generation = new Generation(
      username,
      {
        ...this.options.connection,
        user: username,
        password: () => this.passwordFor(username),
        max: this.options.maxOpenConnections,
        // A first attempt's deadline, and the socket's safety net for retries.
        connectionTimeoutMillis: this.options.connectionTimeoutMs,
        ...(this.clientClass && { Client: this.clientClass }),
      },
      this.options,
      this.counters,
      this.random,
      {
        opened: () => this.credentials.loginSucceeded(),
        idleFailure: (error) => this.logger.warn(messages.idleConnectionFailed(this.options.name, error.message)),
      },
    );
    this.generations.add(generation);
    void generation.ended.then(() => this.generations.delete(generation));
    for (const event of this.forwarded) this.forward(generation, event);
    return generation;
  }

  private forward({ pool }: Generation, event: PoolEvent): void {
    const sink = this.eventSink!;
    // pg.Pool crashes the process on an 'error' nobody listens to (a listener may have gone since);
    // ours is already counted and logged.
    pool.on(event, (...args: unknown[]) => {
      if (event !== 'error' || sink.listenerCount('error') > 0) sink.emit(event, ...args);
    });
  }

  private async passwordFor(username: string): Promise<string> {
    const credentials = await this.credentials.get();
    if (credentials.username !== username) throw new StaleGenerationError('username rotated');
    return credentials.password;
  }
}

/** A connect attempt that failed, with the generation and credentials revision it was made with. */
interface FailedAttempt {
  error: unknown;
  generation: Generation;
  revision: number;
}

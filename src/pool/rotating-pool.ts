import type { EventEmitter } from 'node:events';
import pg from 'pg';
import { formatDuration } from '../config/duration.js';
import type { ResolvedDatabaseOptions } from '../config/resolved-options.js';
import type { CredentialCache } from '../credentials/credential-cache.js';
import { DatabaseAuthError, DatabaseConnectionTimeoutError } from '../errors/errors.js';
import { hints, messages } from '../errors/messages.js';
import { hintFor, isAuthFailure, isConnectTimeout, isHbaRefusal } from './auth-errors.js';
import { ConnectionTracker } from './connection-tracker.js';
import type { Generation } from './generation.js';
import { type DatabaseStats, PoolCounters } from './pool-stats.js';

/** What the pool needs; the credential source stays with the provider, out of reach of inspection. */
export type PoolOptions = Omit<ResolvedDatabaseOptions, 'credentialSource'>;

/** Logins one checkout may attempt before it gives up with the last refusal. */
const MAX_LOGIN_ATTEMPTS = 6;

export interface PoolLogger {
  warn(message: string): void;
}

/** Thrown by a generation's password function once its username is no longer current. */
class StaleGenerationError extends Error {
  override readonly name = 'StaleGenerationError';
}

/**
 * A pg-pool (per username generation) with per-connection lifetimes, Go-style idle rules,
 * and login recovery: a refused login refreshes the credentials (single-flight, throttled)
 * and retries the login, never a query.
 */
export class RotatingPool {
  private current?: Generation;
  private readonly generations = new Set<Generation>();
  private readonly counters = new PoolCounters();
  private readonly tracker: ConnectionTracker;
  private closed = false;
  private ending?: Promise<void>;
  private ended = false;
  /** Receives every generation's pg-pool events (the pg.Pool handed to ORMs re-emits them). */
  private eventSink?: EventEmitter;

  constructor(
    private readonly options: PoolOptions,
    private readonly credentials: CredentialCache,
    private readonly logger: PoolLogger,
    random: () => number = Math.random,
  ) {
    this.tracker = new ConnectionTracker(options, this.counters, random, () => this.closed);
    credentials.onChange((_previous, next) => {
      if (this.current && next.username !== this.current.username) this.rotateTo(next.username);
    });
  }

  /** Fetches the first credentials; no connection is opened until the first query. */
  async initialize(): Promise<void> {
    const credentials = await this.credentials.initialize();
    this.current ??= this.createGeneration(credentials.username);
  }

  /** A client for one unit of work; give it back with `release`. */
  async acquire(): Promise<pg.PoolClient> {
    const deadline = Date.now() + this.options.connectionTimeoutMs;
    let refusals = 0;
    let lastRefusal: unknown;
    for (;;) {
      const generation = this.current;
      if (this.closed || !generation) throw new Error(messages.poolClosed(this.options.name));
      const revision = this.credentials.revision;
      const { pool } = generation;
      const waitStartedAt = pool.idleCount === 0 && pool.totalCount >= pool.options.max ? Date.now() : undefined;
      let client: pg.PoolClient;
      try {
        // pg-pool's own timeout covers a first attempt; a retry gets only what is left of the budget.
        client = await (refusals === 0 ? pool.connect() : this.connectWithin(pool, deadline - Date.now()));
      } catch (error) {
        if (error instanceof StaleGenerationError) {
          this.endIfDrained(generation);
          continue;
        }
        if (isAuthFailure(error)) {
          this.counters.authFailures++;
          refusals++;
          lastRefusal = error;
          const worthRetrying = refusals < MAX_LOGIN_ATTEMPTS && !isHbaRefusal(error);
          const wait = worthRetrying ? await this.credentials.recoverFromRejection(revision) : Infinity;
          if (Date.now() + wait >= deadline) throw this.authError(error, generation.username, refusals);
          if (wait > 0) await sleep(wait);
          continue;
        }
        if (isConnectTimeout(error)) {
          // Out of time after refused logins: the refusal is the cause worth reporting.
          if (lastRefusal !== undefined) throw this.authError(lastRefusal, generation.username, refusals);
          throw new DatabaseConnectionTimeoutError(
            messages.connectionTimeout(formatDuration(this.options.connectionTimeoutMs), hints.timeout),
            hints.timeout,
          );
        }
        throw error;
      }
      if (waitStartedAt !== undefined) {
        this.counters.waitCount++;
        this.counters.waitDurationMs += Date.now() - waitStartedAt;
      }
      if (this.tracker.pastDeadline(client)) {
        this.tracker.close(client, client.release, 'lifetime');
        continue;
      }
      if (refusals > 0) this.counters.authRecoveries++;
      return this.routeReleaseThroughPool(client);
    }
  }

  /**
   * Callers (ours and ORMs') give a client back with `client.release(err?)`, as with any
   * pg.Pool; the decision to keep or close it must still be this pool's, so the release that
   * pg-pool installed is kept aside and ours takes its place for this checkout.
   */
  private routeReleaseThroughPool(client: pg.PoolClient): pg.PoolClient {
    const giveBack = client.release;
    let released = false;
    client.release = (error?: Error | boolean) => {
      if (released) throw new Error(messages.doubleRelease());
      released = true;
      this.release(client, giveBack, Boolean(error));
    };
    return client;
  }

  /** pool.connect() bounded by `ms`; a connection that arrives too late goes straight back to the pool. */
  private async connectWithin(pool: pg.Pool, ms: number): Promise<pg.PoolClient> {
    const connecting = pool.connect();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('timeout exceeded when trying to connect')), Math.max(0, ms));
    });
    try {
      return await Promise.race([connecting, late]);
    } catch (error) {
      connecting.then((client) => this.release(client, client.release), () => undefined);
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Takes a client back through pg-pool's `giveBack`. `destroy` closes it (its session state is unknown after an error). */
  private release(client: pg.PoolClient, giveBack: (destroy?: boolean) => void, destroy = false): void {
    const generation = this.tracker.generationOf(client);
    if (!generation) return giveBack(destroy);
    const { pool } = generation;
    if (destroy) this.tracker.close(client, giveBack, 'error');
    else if (generation.retiring) this.tracker.close(client, giveBack, 'rotation');
    else if (this.tracker.pastDeadline(client)) this.tracker.close(client, giveBack, 'lifetime');
    else if (pool.waitingCount === 0 && pool.idleCount >= this.options.maxIdleConnections) this.tracker.close(client, giveBack, 'maxIdle');
    else giveBack();
    if (generation.retiring) setImmediate(() => this.endIfDrained(generation));
  }

  stats(): DatabaseStats {
    let open = 0;
    let idle = 0;
    for (const { pool } of this.generations) {
      open += pool.totalCount;
      idle += pool.idleCount;
    }
    return {
      maxOpenConnections: this.options.maxOpenConnections,
      openConnections: open,
      inUse: open - idle,
      idle,
      ...this.counters,
      ...this.credentials.counters,
      generations: this.generations.size,
      credentials: this.credentials.status(),
    };
  }

  /** pg.Pool's counts, summed over the generations. */
  counts(): { total: number; idle: number; waiting: number; expired: number } {
    const counts = { total: 0, idle: 0, waiting: 0, expired: this.tracker.pastDeadlineCount() };
    for (const { pool } of this.generations) {
      counts.total += pool.totalCount;
      counts.idle += pool.idleCount;
      counts.waiting += pool.waitingCount;
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

  /** Re-emits the pg-pool events of every generation, present and future, on `sink`. */
  forwardEventsTo(sink: EventEmitter): void {
    this.eventSink = sink;
    for (const generation of this.generations) this.forwardEvents(generation);
  }

  /**
   * Ends every generation (waiting for checked-out clients) and stops credential timers.
   * Safe to call any number of times, from the module's shutdown and from an ORM's: every call
   * resolves when the pool has ended.
   */
  end(): Promise<void> {
    this.closed = true;
    this.ending ??= (async () => {
      await Promise.all([...this.generations].map((generation) => this.endGeneration(generation)));
      await this.credentials.close();
      this.ended = true;
    })();
    return this.ending;
  }

  private rotateTo(username: string): void {
    const old = this.current;
    this.current = this.createGeneration(username);
    if (!old) return;
    old.retiring = true;
    this.endIfDrained(old);
  }

  /**
   * A retiring generation ends once nobody waits in its queue: pg-pool stops serving its
   * queue when ending, so ending earlier would strand those callers until their timeout.
   */
  private endIfDrained(generation: Generation): void {
    if (generation.retiring && !generation.ending && generation.pool.waitingCount === 0) {
      void this.endGeneration(generation);
    }
  }

  private endGeneration(generation: Generation): Promise<void> {
    generation.ending ??= generation.pool
      .end()
      .then(() => (generation.live > 0 ? new Promise<void>((resolve) => (generation.onDrained = resolve)) : undefined))
      .finally(() => this.generations.delete(generation));
    return generation.ending;
  }

  private createGeneration(username: string): Generation {
    const pool = new pg.Pool({
      ...this.options.connection,
      user: username,
      password: () => this.passwordFor(username),
      max: this.options.maxOpenConnections,
      // Idle closes are the tracker's, so they are counted when they happen.
      idleTimeoutMillis: 0,
      connectionTimeoutMillis: this.options.connectionTimeoutMs,
    });
    const generation: Generation = { username, pool, retiring: false, live: 0 };
    this.tracker.watch(
      generation,
      () => this.credentials.loginSucceeded(),
      (error) => this.logger.warn(`idle connection of "${this.options.name}" failed and was closed: ${error.message}`),
    );
    this.generations.add(generation);
    this.forwardEvents(generation);
    return generation;
  }

  private forwardEvents({ pool }: Generation): void {
    const sink = this.eventSink;
    if (!sink) return;
    for (const event of ['connect', 'acquire', 'release', 'remove'] as const) {
      pool.on(event, (...args: unknown[]) => sink.emit(event, ...args));
    }
    // pg.Pool crashes the process on an 'error' nobody listens to; ours is already counted and logged.
    pool.on('error', (error, client) => {
      if (sink.listenerCount('error') > 0) sink.emit('error', error, client);
    });
  }

  private async passwordFor(username: string): Promise<string> {
    const credentials = await this.credentials.get();
    if (credentials.username !== username) throw new StaleGenerationError('username rotated');
    return credentials.password;
  }

  private authError(error: unknown, username: string, attempts: number): DatabaseAuthError {
    const hint = hintFor(error);
    const { code, message } = error as { code?: string; message?: string };
    return new DatabaseAuthError(messages.authFailed(username, message ?? 'login refused', attempts, hint), code, hint);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

import pg from 'pg';
import type { ResolvedDatabaseOptions } from '../config/resolved-options.js';

/** What the pool needs; the credential source stays with the provider, out of reach of inspection. */
export type PoolOptions = Omit<ResolvedDatabaseOptions, 'credentialSource'>;
import type { CredentialCache } from '../credentials/credential-cache.js';
import { DatabaseAuthError, DatabaseConnectionTimeoutError } from '../errors/errors.js';
import { hints, messages } from '../errors/messages.js';
import { formatDuration } from '../config/duration.js';
import { hintFor, isAuthFailure, isConnectTimeout, isHbaRefusal } from './auth-errors.js';
import { type CloseReason, type DatabaseStats, PoolCounters } from './pool-stats.js';

/** Logins one checkout may attempt before it gives up with the last refusal. */
const MAX_LOGIN_ATTEMPTS = 6;

export interface PoolLogger {
  warn(message: string): void;
}

/** One pg-pool per username: pg's `user` is fixed per pool, so a username rotation needs a new one. */
interface Generation {
  readonly username: string;
  readonly pool: pg.Pool;
  retiring: boolean;
  ending?: Promise<void>;
  /** Connections tracked and not yet counted as closed. */
  live: number;
  /** Resolves `ending` once the last 'remove' (which pg-pool emits after end() resolves) is counted. */
  onDrained?: () => void;
}

interface ConnectionState {
  readonly generation: Generation;
  readonly deadline: number;
  readonly lifetimeTimer: NodeJS.Timeout;
  /** Runs while the connection is idle: closes it after connectionMaxIdleTime. */
  idleTimer?: NodeJS.Timeout;
  checkedOut: boolean;
  /** Set once the close is decided and counted; pg-pool's 'remove' event comes later. */
  closeReason?: CloseReason;
}

/** Thrown by a generation's password function once its username is no longer current. */
class StaleGenerationError extends Error {
  override readonly name = 'StaleGenerationError';
}

/**
 * Marker emitted on an idle client that reached its deadline or idle limit: pg-pool removes
 * an idle client that emits 'error' (its documented idle-error path), which is the only
 * public way to close one particular idle connection.
 */
const CLOSE_IDLE = new Error('idle connection reached its lifetime or idle limit');

/**
 * A pg-pool (per username generation) with per-connection lifetimes, Go-style idle rules,
 * and login recovery: a refused login refreshes the credentials (single-flight, throttled)
 * and retries the login, never a query.
 */
export class RotatingPool {
  private current?: Generation;
  private readonly generations = new Set<Generation>();
  private readonly connections = new WeakMap<pg.PoolClient, ConnectionState>();
  private readonly counters = new PoolCounters();
  private closed = false;

  constructor(
    private readonly options: PoolOptions,
    private readonly credentials: CredentialCache,
    private readonly logger: PoolLogger,
    private readonly random: () => number = Math.random,
  ) {
    credentials.onChange((previous, next) => {
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
    for (;;) {
      const generation = this.current;
      if (this.closed || !generation) throw new Error(messages.poolClosed(this.options.name));
      const revision = this.credentials.revision;
      const { pool } = generation;
      const waitStartedAt = pool.idleCount === 0 && pool.totalCount >= pool.options.max ? Date.now() : undefined;
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (error) {
        if (error instanceof StaleGenerationError) {
          this.endIfDrained(generation);
          continue;
        }
        if (isAuthFailure(error)) {
          this.counters.authFailures++;
          refusals++;
          const worthRetrying = refusals < MAX_LOGIN_ATTEMPTS && !isHbaRefusal(error);
          const wait = worthRetrying ? await this.credentials.recoverFromRejection(revision) : Infinity;
          if (Date.now() + wait >= deadline) throw this.authError(error, generation.username, refusals);
          if (wait > 0) await sleep(wait);
          continue;
        }
        if (isConnectTimeout(error)) {
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
      const state = this.connections.get(client);
      if (state && Date.now() >= state.deadline) {
        this.close(client, state, 'lifetime');
        continue;
      }
      if (refusals > 0) this.counters.authRecoveries++;
      return client;
    }
  }

  /** Returns a client. `destroy` closes it (its session state is unknown after an error). */
  release(client: pg.PoolClient, destroy = false): void {
    const state = this.connections.get(client);
    if (!state) return client.release(destroy);
    const { pool } = state.generation;
    if (destroy) this.close(client, state, 'error');
    else if (state.generation.retiring) this.close(client, state, 'rotation');
    else if (Date.now() >= state.deadline) this.close(client, state, 'lifetime');
    else if (pool.waitingCount === 0 && pool.idleCount >= this.options.maxIdleConnections) this.close(client, state, 'maxIdle');
    else client.release();
    if (state.generation.retiring) setImmediate(() => this.endIfDrained(state.generation));
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

  /** Ends every generation (waiting for checked-out clients) and stops credential timers. */
  async end(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.generations].map((generation) => this.endGeneration(generation)));
    await this.credentials.close();
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
      // Idle closes are ours (see onRelease), so they are counted when they happen.
      idleTimeoutMillis: 0,
      connectionTimeoutMillis: this.options.connectionTimeoutMs,
    });
    const generation: Generation = { username, pool, retiring: false, live: 0 };
    pool.on('connect', (client) => this.track(client, generation));
    pool.on('acquire', (client) => {
      const state = this.connections.get(client);
      if (!state) return;
      state.checkedOut = true;
      clearTimeout(state.idleTimer);
    });
    pool.on('release', (error, client) => {
      const state = this.connections.get(client);
      if (!state) return;
      state.checkedOut = false;
      // pg-pool removes these at once, on its own test.
      if (error || isBroken(client)) this.countClose(state, 'error');
      if (state.closeReason) return;
      state.idleTimer = setTimeout(() => this.closeIfIdle(client, 'idleTime'), this.options.connectionMaxIdleTimeMs);
      state.idleTimer.unref();
    });
    pool.on('remove', (client) => this.untrack(client));
    pool.on('error', (error, client) => {
      if (error === CLOSE_IDLE) return;
      const state = this.connections.get(client);
      if (state) this.countClose(state, 'error');
      this.logger.warn(`idle connection of "${this.options.name}" failed and was closed: ${error.message}`);
    });
    this.generations.add(generation);
    return generation;
  }

  private async passwordFor(username: string): Promise<string> {
    const credentials = await this.credentials.get();
    if (credentials.username !== username) throw new StaleGenerationError('username rotated');
    return credentials.password;
  }

  private track(client: pg.PoolClient, generation: Generation): void {
    this.counters.opened++;
    generation.live++;
    this.credentials.loginSucceeded();
    const lifetime = this.options.connectionMaxLifetimeMs - this.random() * this.options.connectionMaxLifetimeJitterMs;
    // pg emits 'error' on a client whose connection dies; pg-pool listens only while the client
    // is idle. Without a listener of our own, a backend killed while a client is checked out
    // would crash the process. The caller's query fails anyway, and pg-pool drops the client
    // on release (it is no longer queryable).
    client.on('error', () => undefined);
    const lifetimeTimer = setTimeout(() => this.closeIfIdle(client, 'lifetime'), lifetime);
    lifetimeTimer.unref();
    this.connections.set(client, { generation, deadline: Date.now() + lifetime, lifetimeTimer, checkedOut: false });
  }

  /** Closes an idle connection at its deadline or idle limit; a checked-out one is checked on release. */
  private closeIfIdle(client: pg.PoolClient, reason: 'lifetime' | 'idleTime'): void {
    const state = this.connections.get(client);
    if (!state || state.checkedOut || state.closeReason || this.closed || isBroken(client)) return;
    this.countClose(state, reason);
    client.emit('error', CLOSE_IDLE);
  }

  private close(client: pg.PoolClient, state: ConnectionState, reason: CloseReason): void {
    this.countClose(state, reason);
    client.release(true);
  }

  /** Counts a close when it is decided, so stats agree with pg-pool's counts at once. */
  private countClose(state: ConnectionState, reason: CloseReason): void {
    if (state.closeReason) return;
    state.closeReason = reason;
    this.counters.countClose(reason);
  }

  private untrack(client: pg.PoolClient): void {
    const state = this.connections.get(client);
    if (!state) return;
    clearTimeout(state.lifetimeTimer);
    clearTimeout(state.idleTimer);
    this.connections.delete(client);
    this.countClose(state, this.implicitCloseReason(state));
    if (--state.generation.live === 0) state.generation.onDrained?.();
  }

  /** A close pg-pool decided on by itself: pool.end(), or a client it found broken. */
  private implicitCloseReason(state: ConnectionState): CloseReason {
    if (this.closed) return 'shutdown';
    if (state.generation.retiring) return 'rotation';
    return 'error';
  }

  private authError(error: unknown, username: string, attempts: number): DatabaseAuthError {
    const hint = hintFor(error);
    const { code, message } = error as { code?: string; message?: string };
    return new DatabaseAuthError(messages.authFailed(username, message ?? 'login refused', attempts, hint), code, hint);
  }
}

/** pg-pool's own test for a client it will not reuse (pg keeps these flags internal). */
function isBroken(client: pg.PoolClient): boolean {
  const flags = client as unknown as { _queryable?: boolean; _ending?: boolean };
  return flags._queryable === false || flags._ending === true;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

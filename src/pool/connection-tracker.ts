import type pg from 'pg';
import type { Generation } from './generation.js';
import type { CloseReason, PoolCounters } from './pool-stats.js';

export interface ConnectionLimits {
  connectionMaxLifetimeMs: number;
  connectionMaxLifetimeJitterMs: number;
  connectionMaxIdleTimeMs: number;
}

interface ConnectionState {
  readonly generation: Generation;
  /** opened + lifetime − jitter: never handed out at or after this instant. */
  readonly deadline: number;
  readonly lifetimeTimer: NodeJS.Timeout;
  /** Runs while the connection is idle: closes it after connectionMaxIdleTime. */
  idleTimer?: NodeJS.Timeout;
  checkedOut: boolean;
  /** Set once a close is decided, and counted then; pg-pool's 'remove' event comes later. */
  closeReason?: CloseReason;
}

/**
 * Marker emitted on an idle client that reached its deadline or idle limit: pg-pool removes
 * an idle client that emits 'error' (its documented idle-error path), which is the only
 * public way to close one particular idle connection.
 */
const CLOSE_IDLE = new Error('idle connection reached its lifetime or idle limit');

/**
 * The life of each physical connection of a pool: its deadline (lifetime minus jitter), its
 * idle timer, and the one reason it was closed for, counted the moment the close is decided
 * so the counters always agree with pg-pool's own counts.
 */
export class ConnectionTracker {
  // A Map, not a WeakMap: pg-pool's 'remove' deletes every entry, and the counts iterate it.
  private readonly connections = new Map<pg.PoolClient, ConnectionState>();

  constructor(
    private readonly limits: ConnectionLimits,
    private readonly counters: PoolCounters,
    private readonly random: () => number,
    /** True once the application shuts down: pg-pool's own closes are then counted as shutdown. */
    private readonly shuttingDown: () => boolean,
  ) {}

  /** Follows every connection of a generation's pool through pg-pool's lifecycle events. */
  watch(generation: Generation, onOpened: () => void, onIdleFailure: (error: Error) => void): void {
    const { pool } = generation;
    pool.on('connect', (client) => {
      this.track(client, generation);
      onOpened();
    });
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
      state.idleTimer = setTimeout(() => this.closeIfIdle(client, 'idleTime'), this.limits.connectionMaxIdleTimeMs);
      state.idleTimer.unref();
    });
    pool.on('remove', (client) => this.untrack(client));
    pool.on('error', (error, client) => {
      if (error === CLOSE_IDLE) return;
      const state = this.connections.get(client);
      if (state) this.countClose(state, 'error');
      onIdleFailure(error);
    });
  }

  generationOf(client: pg.PoolClient): Generation | undefined {
    return this.connections.get(client)?.generation;
  }

  pastDeadline(client: pg.PoolClient): boolean {
    const state = this.connections.get(client);
    return state !== undefined && Date.now() >= state.deadline;
  }

  /** Connections still open past their deadline (checked out; they close when released). */
  pastDeadlineCount(): number {
    let count = 0;
    const now = Date.now();
    for (const state of this.connections.values()) if (now >= state.deadline) count++;
    return count;
  }

  /** Closes a checked-out client for `reason` through pg-pool's `giveBack`, instead of returning it to the pool. */
  close(client: pg.PoolClient, giveBack: (destroy: boolean) => void, reason: CloseReason): void {
    const state = this.connections.get(client);
    if (state) this.countClose(state, reason);
    giveBack(true);
  }

  private track(client: pg.PoolClient, generation: Generation): void {
    this.counters.opened++;
    generation.live++;
    const lifetime = this.limits.connectionMaxLifetimeMs - this.random() * this.limits.connectionMaxLifetimeJitterMs;
    // pg emits 'error' on a client whose connection dies; pg-pool listens only while the client
    // is idle. Without a listener of our own, a backend killed while a client is checked out
    // would crash the process. The caller's query fails anyway, and pg-pool drops the client
    // on release (it is no longer queryable).
    client.on('error', () => undefined);
    const lifetimeTimer = setTimeout(() => this.closeIfIdle(client, 'lifetime'), lifetime);
    lifetimeTimer.unref();
    this.connections.set(client, { generation, deadline: Date.now() + lifetime, lifetimeTimer, checkedOut: false });
  }

  /** An idle connection closes at its deadline or idle limit; a checked-out one is judged on release. */
  private closeIfIdle(client: pg.PoolClient, reason: 'lifetime' | 'idleTime'): void {
    const state = this.connections.get(client);
    if (!state || state.checkedOut || state.closeReason || this.shuttingDown() || isBroken(client)) return;
    this.countClose(state, reason);
    client.emit('error', CLOSE_IDLE);
  }

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
    // Not decided by us: pool.end() (shutdown or a drained generation), or a client pg-pool found broken.
    this.countClose(state, this.shuttingDown() ? 'shutdown' : state.generation.retiring ? 'rotation' : 'error');
    if (--state.generation.live === 0) state.generation.onDrained?.();
  }
}

/** pg-pool's own test for a client it will not reuse (pg keeps these flags internal). */
function isBroken(client: pg.PoolClient): boolean {
  const flags = client as unknown as { _queryable?: boolean; _ending?: boolean };
  return flags._queryable === false || flags._ending === true;
}

import pg from 'pg';
import type { CloseReason, PoolCounters } from './pool-stats.js';

export interface ConnectionLimits {
  maxIdleConnections: number;
  connectionMaxLifetimeMs: number;
  connectionMaxLifetimeJitterMs: number;
  connectionMaxIdleTimeMs: number;
}

/** What a generation reports to the pool that owns it. */
export interface GenerationEvents {
  /** A login with the current credentials worked. */
  opened(): void;
  /** An idle connection broke (the server closed it, the network dropped it). */
  idleFailure(error: Error): void;
}

/**
 * How long idle connections above `maxIdleConnections` may stay before the surplus closes.
 * Go closes them at once; under bursty load (bursts with pauses shorter than this) that closed
 * most connections at the end of every burst and logged them in again at the next, each a new
 * login (a new IAM login at RDS): 0.73–0.89 of raw pg.Pool's throughput and p99 ×2–4 in
 * `npm run bench`'s bursty cells. With the grace, the steady state still holds at most
 * `maxIdleConnections` idle, as in Go.
 */
export const SURPLUS_IDLE_GRACE_MS = 1_000;

/** pg-pool's release, put aside while our own decides: `true` destroys the client. */
export type GiveBack = (destroy?: boolean) => void;

/** One physical connection, from login to close. */
interface ConnectionLife {
  /** opened + lifetime − jitter: never handed out at or after this instant. */
  readonly deadline: number;
  readonly lifetimeTimer: NodeJS.Timeout;
  /** Closes the connection once it has been idle for connectionMaxIdleTime; armed while it is idle or was recently. */
  idleTimer?: NodeJS.Timeout;
  checkedOut: boolean;
  /** When it last became idle: the surplus check closes the longest idle first. */
  idleSince: number;
  /** The connection reported an error or ended: it is never reused. */
  broken: boolean;
  /** Set once a close is decided, and counted then; pg-pool's 'remove' comes later. */
  closeReason?: CloseReason;
}

/**
 * Emitted on an idle client that reached its deadline or idle limit: pg-pool removes an idle
 * client that emits 'error' (its documented idle-error path), which is the only public way to
 * close one particular idle connection.
 */
const CLOSE_IDLE = new Error('idle connection reached its lifetime or idle limit');

/**
 * One pg-pool for one username (pg's `user` is fixed per pool, so a username rotation needs a
 * new one), and the life of each of its connections: deadline with jitter, idle timer, and the
 * one reason each was closed for. Every close is decided and counted in `close`, the moment it
 * is decided, so the counters always agree with pg-pool's own counts.
 */
export class Generation {
  readonly pool: pg.Pool;
  private readonly connections = new Map<pg.PoolClient, ConnectionLife>();
  /** Superseded by a newer username: no new checkouts; closes its connections as they come back. */
  private retiring = false;
  /** Why pg-pool's own closes happen once `end` was called. */
  private endReason?: 'rotation' | 'shutdown';
  private ending?: Promise<void>;
  private drained?: () => void;
  /** Armed when more than maxIdleConnections are idle; closes the surplus once it fires. */
  private surplusCheck?: NodeJS.Timeout;
  private markEnded!: () => void;
  /** Resolves once the pool has ended and pg-pool removed its last connection. */
  readonly ended = new Promise<void>((resolve) => (this.markEnded = resolve));

  constructor(
    readonly username: string,
    config: pg.PoolConfig,
    private readonly limits: ConnectionLimits,
    private readonly counters: PoolCounters,
    private readonly random: () => number,
    private readonly events: GenerationEvents,
  ) {
    // Idle closes are ours (counted when they happen), so pg-pool's idle timer is off.
    this.pool = new pg.Pool({ ...config, idleTimeoutMillis: 0 });
    this.pool.on('connect', (client) => this.opened(client));
    this.pool.on('remove', (client) => this.removed(client));
    this.pool.on('error', (error, client) => {
      if (error === CLOSE_IDLE) return;
      const life = this.connections.get(client);
      if (life) this.close(life, 'error');
      this.events.idleFailure(error);
    });
  }

  /** Connections open past their deadline (checked out; they close when given back). */
  get expiredCount(): number {
    const now = Date.now();
    let count = 0;
    for (const life of this.connections.values()) if (now >= life.deadline) count++;
    return count;
  }

  /**
   * Takes a client pg-pool just handed out, or closes it when it is past its deadline (then the
   * caller asks again). Called on every checkout, so it is also where a client is marked in use:
   * one lookup here instead of a listener on pg-pool's 'acquire' event.
   */
  handOut(client: pg.PoolClient, giveBack: GiveBack): boolean {
    const life = this.connections.get(client);
    if (!life) return true;
    if (Date.now() < life.deadline) {
      life.checkedOut = true;
      return true;
    }
    this.close(life, 'lifetime');
    giveBack(true);
    return false;
  }

  /** The one decision on a client coming back: keep it idle, or close it for one reason. */
  giveBack(client: pg.PoolClient, giveBack: GiveBack, destroy: boolean): void {
    const life = this.connections.get(client);
    if (!life) return giveBack(destroy);
    life.checkedOut = false;
    const now = Date.now();
    const reason = this.reasonToClose(life, destroy, now);
    if (reason) {
      this.close(life, reason);
      giveBack(true);
    } else {
      life.idleSince = now;
      giveBack();
      if (this.pool.idleCount > this.limits.maxIdleConnections) this.armSurplusCheck();
      life.idleTimer ??= this.armIdleTimer(client, life, this.limits.connectionMaxIdleTimeMs);
    }
    if (this.retiring) setImmediate(() => this.endIfDrained());
  }

  /** Stops new checkouts; ends once nobody waits in its queue. */
  retire(): void {
    this.retiring = true;
    this.endIfDrained();
  }

  /** Ends the pool, waiting for checked-out clients, and resolves once pg-pool removed the last one. */
  end(reason: 'rotation' | 'shutdown'): Promise<void> {
    this.endReason ??= reason;
    clearTimeout(this.surplusCheck);
    this.ending ??= this.pool
      .end()
      .then(() => (this.connections.size > 0 ? new Promise<void>((resolve) => (this.drained = resolve)) : undefined))
      .finally(this.markEnded);
    return this.ending;
  }

  private reasonToClose(life: ConnectionLife, destroy: boolean, now: number): CloseReason | undefined {
    if (destroy || life.broken) return 'error';
    if (this.retiring) return 'rotation';
    if (now >= life.deadline) return 'lifetime';
    return undefined;
  }

  /** One timer for the whole generation (not one per release): it runs when the longest-idle surplus connection's grace ends. */
  private armSurplusCheck(delay = SURPLUS_IDLE_GRACE_MS): void {
    if (this.surplusCheck || this.endReason) return;
    this.surplusCheck = setTimeout(() => {
      this.surplusCheck = undefined;
      this.closeSurplusIdle();
    }, delay);
    this.surplusCheck.unref();
  }

  /**
   * Closes the connections idle the longest, down to maxIdleConnections idle, once each has been
   * idle for the grace; a surplus connection still within it is checked again when it ends.
   */
  private closeSurplusIdle(): void {
    const surplus = this.pool.idleCount - this.limits.maxIdleConnections;
    if (surplus <= 0) return;
    const idle = [...this.connections].filter(([, life]) => !life.checkedOut && !life.closeReason && !life.broken);
    idle.sort(([, a], [, b]) => a.idleSince - b.idleSince);
    const now = Date.now();
    for (const [client, life] of idle.slice(0, surplus)) {
      const graceLeft = life.idleSince + SURPLUS_IDLE_GRACE_MS - now;
      if (graceLeft > 0) return this.armSurplusCheck(graceLeft);
      this.closeIdle(client, 'maxIdle');
    }
  }

  /**
   * A retiring generation ends once nobody waits in its queue: pg-pool stops serving its queue
   * when ending, so ending earlier would strand those callers until their timeout.
   */
  private endIfDrained(): void {
    if (this.retiring && !this.ending && this.pool.waitingCount === 0) void this.end('rotation');
  }

  private opened(client: pg.PoolClient): void {
    forgetPassword(client);
    this.counters.opened++;
    const lifetime = this.limits.connectionMaxLifetimeMs - this.random() * this.limits.connectionMaxLifetimeJitterMs;
    const lifetimeTimer = setTimeout(() => this.closeIdle(client, 'lifetime'), lifetime);
    lifetimeTimer.unref();
    const life: ConnectionLife = { deadline: Date.now() + lifetime, lifetimeTimer, checkedOut: false, idleSince: Date.now(), broken: false };
    this.connections.set(client, life);
    // pg emits 'error' on a client whose connection dies, and pg-pool listens only while the
    // client is idle: without a listener of our own, a backend killed under a checked-out client
    // would crash the process. The caller's query fails anyway; the client is closed on release.
    const broke = () => {
      life.broken = true;
    };
    client.on('error', broke);
    client.on('end', broke);
    this.events.opened();
  }

  /**
   * The idle limit's timer, armed when a connection first goes idle and not touched on later
   * releases (a timer refresh on every release was a measurable share of the hot path): when it
   * fires, a connection used since then is given the rest of its idle time, one still in use
   * gets a new timer on its next release.
   */
  private armIdleTimer(client: pg.PoolClient, life: ConnectionLife, delay: number): NodeJS.Timeout {
    const timer = setTimeout(() => {
      life.idleTimer = undefined;
      if (life.checkedOut) return;
      const idleLeft = life.idleSince + this.limits.connectionMaxIdleTimeMs - Date.now();
      if (idleLeft > 0) life.idleTimer = this.armIdleTimer(client, life, idleLeft);
      else this.closeIdle(client, 'idleTime');
    }, delay);
    timer.unref();
    return timer;
  }

  /** An idle connection closes at its deadline or idle limit; a checked-out one is judged when given back. */
  private closeIdle(client: pg.PoolClient, reason: 'lifetime' | 'idleTime' | 'maxIdle'): void {
    const life = this.connections.get(client);
    if (!life || life.checkedOut || life.closeReason || life.broken || this.endReason) return;
    this.close(life, reason);
    client.emit('error', CLOSE_IDLE);
  }

  private close(life: ConnectionLife, reason: CloseReason): void {
    if (life.closeReason) return;
    life.closeReason = reason;
    this.counters.countClose(reason);
  }

  private removed(client: pg.PoolClient): void {
    const life = this.connections.get(client);
    if (!life) return;
    clearTimeout(life.lifetimeTimer);
    clearTimeout(life.idleTimer);
    this.connections.delete(client);
    // Not decided above: the pool was ended, or pg-pool dropped a client that broke on its own.
    this.close(life, this.endReason ?? 'error');
    if (this.connections.size === 0) this.drained?.();
  }
}

/**
 * pg keeps the password it logged in with on the client (hidden, but `util.inspect` with
 * `showHidden` shows it) for the life of the connection. Nothing needs it after the login: a
 * new connection asks the pool's password function again.
 */
function forgetPassword(client: pg.PoolClient): void {
  const loggedIn = client as unknown as { password: unknown; connectionParameters?: { password: unknown } };
  loggedIn.password = null;
  if (loggedIn.connectionParameters) loggedIn.connectionParameters.password = null;
}

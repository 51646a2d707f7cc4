import type { Clock, TimerHandle } from '../clock.js';
import type { CloseReason } from './pool-stats.js';
import type { PooledConnection } from './pooled-connection.js';

/**
 * How long idle connections above `maxIdleConnections` may stay before the surplus closes.
 * Go closes them at once; under bursty load (bursts with pauses shorter than this) that closed
 * most connections at the end of every burst and logged them in again at the next, each a new
 * login (a new IAM login at RDS), at a clear cost in throughput and p99 (the bursty cells of the
 * overhead matrix in bench/RESULTS.md). With the grace, the steady state still holds at most
 * `maxIdleConnections` idle, as in Go.
 */
export const SURPLUS_IDLE_GRACE_MS = 1_000;

/**
 * Go's idle rules for the pool's idle connections: each closes after `connectionMaxIdleTime`
 * unused, and idle connections above `maxIdleConnections` close once past the grace, the longest
 * idle first.
 */
export class IdleLimits {
  private surplusCheck?: TimerHandle;
  private stopped = false;

  constructor(
    private readonly clock: Clock,
    private readonly limits: { maxIdleConnections: number; connectionMaxIdleTimeMs: number },
    /** The pool's idle connections, the most recently used last. */
    private readonly idle: readonly PooledConnection[],
    private readonly close: (connection: PooledConnection, reason: CloseReason) => void,
  ) {}

  /** A connection just joined the idle set. */
  wentIdle(connection: PooledConnection): void {
    if (this.idle.length > this.limits.maxIdleConnections) this.armSurplusCheck();
    connection.idleTimer ??= this.armIdleTimer(connection, this.limits.connectionMaxIdleTimeMs);
  }

  stop(): void {
    this.stopped = true;
    this.clock.clearTimeout(this.surplusCheck);
  }

  /**
   * The idle limit's timer, armed when a connection first goes idle and not touched on later
   * releases (a timer refresh on every release was a measurable share of the hot path): when it
   * fires, a connection used since then is given the rest of its idle time, one in use gets a new
   * timer when it next goes idle.
   */
  private armIdleTimer(connection: PooledConnection, delay: number): TimerHandle {
    return this.clock.setTimeout(() => {
      connection.idleTimer = undefined;
      if (connection.state !== 'idle') return;
      const idleLeft = connection.idleSince + this.limits.connectionMaxIdleTimeMs - this.clock.now();
      if (idleLeft > 0) connection.idleTimer = this.armIdleTimer(connection, idleLeft);
      else this.close(connection, 'idleTime');
    }, delay);
  }

  /** One timer for the pool (not one per release): it runs when the longest-idle surplus connection's grace ends. */
  private armSurplusCheck(delay = SURPLUS_IDLE_GRACE_MS): void {
    if (this.surplusCheck || this.stopped) return;
    this.surplusCheck = this.clock.setTimeout(() => {
      this.surplusCheck = undefined;
      this.closeSurplusIdle();
    }, delay);
  }

  /**
   * Closes the connections idle the longest, down to maxIdleConnections idle, once each has been
   * idle for the grace; a surplus connection still within it is checked again when it ends.
   */
  private closeSurplusIdle(): void {
    const surplus = this.idle.length - this.limits.maxIdleConnections;
    if (surplus <= 0) return;
    const now = this.clock.now();
    const longestIdle = [...this.idle].sort((a, b) => a.idleSince - b.idleSince).slice(0, surplus);
    for (const connection of longestIdle) {
      const graceLeft = connection.idleSince + SURPLUS_IDLE_GRACE_MS - now;
      if (graceLeft > 0) return this.armSurplusCheck(graceLeft);
      this.close(connection, 'maxIdle');
    }
  }
}

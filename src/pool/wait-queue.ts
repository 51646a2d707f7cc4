import type pg from 'pg';
import type { Clock, TimerHandle } from '../clock.js';

/** A checkout waiting for a connection. */
export interface Waiter {
  resolve(client: pg.PoolClient): void;
  reject(error: Error): void;
  /** When its connectionTimeout runs out. */
  readonly deadline: number;
  /** When it started waiting, for waitDurationMs; undefined when it waited only for a login, not for a busy pool. */
  readonly waitedForBusyPoolSince: number | undefined;
  /** performance.now() when it asked, for the wait-time metric only. */
  readonly askedAt: number;
  /** The credentials revision current when it asked. */
  readonly firstRevision: number;
  /** Logins the database refused while it waited. */
  refusals: number;
}

/**
 * Checkouts in arrival order. Every checkout has the same connectionTimeout, so deadlines grow
 * from head to tail and one timer, armed for the head, serves the whole queue: a served head
 * costs nothing (the timer fires at its deadline, finds a later one and re-arms), where a timer
 * per checkout would be armed and cleared once per query whenever the pool is saturated.
 */
export class WaitQueue {
  private readonly waiters: Waiter[] = [];
  private timer?: TimerHandle;
  private timerAt = Infinity;

  constructor(
    private readonly clock: Clock,
    /** Called for each waiter whose deadline has passed, after it left the queue. */
    private readonly expired: (waiter: Waiter) => void,
  ) {}

  get length(): number {
    return this.waiters.length;
  }

  push(waiter: Waiter): void {
    this.waiters.push(waiter);
    if (waiter.deadline < this.timerAt) this.arm(waiter.deadline);
  }

  shift(): Waiter | undefined {
    return this.waiters.shift();
  }

  /** Takes every waiter whose deadline is at or before `instant` (they are at the head). */
  takeDueBy(instant: number): Waiter[] {
    let count = 0;
    while (count < this.waiters.length && this.waiters[count]!.deadline <= instant) count++;
    return this.waiters.splice(0, count);
  }

  /** Empties the queue (the pool ends) and stops its timer. */
  takeAll(): Waiter[] {
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
    return this.waiters.splice(0);
  }

  forEach(fn: (waiter: Waiter) => void): void {
    this.waiters.forEach(fn);
  }

  private arm(at: number): void {
    this.clock.clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = this.clock.setTimeout(() => this.fire(), Math.max(0, at - this.clock.now()));
  }

  private fire(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    for (const waiter of this.takeDueBy(this.clock.now())) this.expired(waiter);
    const head = this.waiters[0];
    if (head) this.arm(head.deadline);
  }
}

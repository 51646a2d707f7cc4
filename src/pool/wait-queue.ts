import type { Clock, TimerHandle } from '../clock.js';
import type { Checkout } from './checkout.js';

/**
 * Checkouts in arrival order. Every checkout has the same connectionTimeout, so deadlines grow
 * from head to tail and one timer, armed for the head, serves the whole queue: a served head
 * costs nothing (the timer fires at its deadline, finds a later one and re-arms), where a timer
 * per checkout would be armed and cleared once per query whenever the pool is saturated.
 */
export class WaitQueue {
  private readonly checkouts: Checkout[] = [];
  private timer?: TimerHandle;
  private timerAt = Infinity;

  constructor(
    private readonly clock: Clock,
    /** Called for each checkout whose deadline has passed, after it left the queue. */
    private readonly expired: (checkout: Checkout) => void,
  ) {}

  get length(): number {
    return this.checkouts.length;
  }

  push(checkout: Checkout): void {
    this.checkouts.push(checkout);
    if (checkout.deadline < this.timerAt) this.arm(checkout.deadline);
  }

  shift(): Checkout | undefined {
    return this.checkouts.shift();
  }

  /** Takes every checkout whose deadline is at or before `instant` (they are at the head). */
  takeDueBy(instant: number): Checkout[] {
    let count = 0;
    while (count < this.checkouts.length && this.checkouts[count]!.deadline <= instant) count++;
    return this.checkouts.splice(0, count);
  }

  /** Empties the queue (the pool ends) and stops its timer. */
  takeAll(): Checkout[] {
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
    return this.checkouts.splice(0);
  }

  forEach(fn: (checkout: Checkout) => void): void {
    this.checkouts.forEach(fn);
  }

  private arm(at: number): void {
    this.clock.clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = this.clock.setTimeout(() => this.fire(), Math.max(0, at - this.clock.now()));
  }

  private fire(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    for (const checkout of this.takeDueBy(this.clock.now())) this.expired(checkout);
    const head = this.checkouts[0];
    if (head) this.arm(head.deadline);
  }
}

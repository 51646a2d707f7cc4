import type { Clock, TimerHandle } from '../../src/clock.js';

interface ManualTimer {
  at: number;
  order: number;
  fn: () => void;
}

/** A clock that moves only when the test says so; due timers fire in order, promise chains settle between. */
export class ManualClock implements Clock {
  private time = Date.parse('2026-01-01T00:00:00Z');
  private timers: ManualTimer[] = [];
  private created = 0;

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer = { at: this.time + Math.max(0, ms), order: this.created++, fn };
    this.timers.push(timer);
    return timer;
  }

  clearTimeout(timer: TimerHandle | undefined): void {
    this.timers = this.timers.filter((candidate) => candidate !== timer);
  }

  /** Timers still waiting. */
  get pending(): number {
    return this.timers.length;
  }

  /** Moves time forward by `ms`, firing every timer that falls due, each at its own instant. */
  async advance(ms: number): Promise<void> {
    const until = this.time + ms;
    await settle();
    for (;;) {
      const due = this.timers.filter((timer) => timer.at <= until).sort((a, b) => a.at - b.at || a.order - b.order)[0];
      if (!due) break;
      this.clearTimeout(due);
      this.time = due.at;
      due.fn();
      await settle();
    }
    this.time = until;
    await settle();
  }
}

/** Lets pending promise callbacks run (fetches that resolve at once, their `finally`, the next plan). */
async function settle(): Promise<void> {
  await new Promise<void>((resolve) => setImmediate(resolve));
}

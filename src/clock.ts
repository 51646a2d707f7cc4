/** An opaque handle of a timer set through a `Clock`. */
export type TimerHandle = object;

/**
 * Time as the credential policies see it: real time in production, a manual clock in unit
 * tests, so that backoff and schedules are tested without waiting.
 */
export interface Clock {
  now(): number;
  /** Runs `fn` after `ms`; never keeps the process alive on its own. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(timer: TimerHandle | undefined): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (timer) => clearTimeout(timer as NodeJS.Timeout | undefined),
};

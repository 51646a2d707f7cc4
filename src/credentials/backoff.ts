import type { Clock } from '../clock.js';

/**
 * Exponential backoff with "equal jitter": half the step is fixed, half random, so a fleet
 * of replicas that failed together does not retry together. Steps 1 s, 2 s, 4 s … capped at
 * 20 s, the range the AWS caching clients use for Secrets Manager.
 */
export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 1_000, maxMs: 20_000 };

export function backoffDelay(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const step = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt));
  return step / 2 + random() * (step / 2);
}

/**
 * Attempts in a row and when the next one is allowed, each wait longer than the last (with
 * jitter). The credential cache keeps two: forced fetches after refused logins, and failed fetches.
 */
export class Backoff {
  private count = 0;
  private nextAt = 0;

  constructor(
    private readonly policy: BackoffPolicy,
    private readonly clock: Clock,
    private readonly random: () => number,
  ) {}

  /** Attempts since the last reset. */
  get attempts(): number {
    return this.count;
  }

  /** Milliseconds until the next attempt is allowed; 0 when it is. */
  wait(): number {
    return Math.max(0, this.nextAt - this.clock.now());
  }

  /** Records an attempt now: the next one must wait for the next step. */
  step(): void {
    this.nextAt = this.clock.now() + backoffDelay(this.count++, this.policy, this.random);
  }

  reset(): void {
    this.count = 0;
    this.nextAt = 0;
  }
}

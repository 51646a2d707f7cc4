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

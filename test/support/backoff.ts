import { backoffDelay, type BackoffPolicy, DEFAULT_BACKOFF } from '../../src/credentials/backoff.js';

/**
 * The most attempts one backoff chain lets through within `windowMs`: the first at once, each
 * next one after the shortest wait equal jitter can draw (half the step). The bound a test asserts
 * fetch counts against, computed from the policy the module uses rather than written down by hand.
 */
export function attemptsAllowed(windowMs: number, policy: BackoffPolicy = DEFAULT_BACKOFF): number {
  let attempts = 1;
  for (
    let elapsed = backoffDelay(0, policy, () => 0);
    elapsed <= windowMs;
    elapsed += backoffDelay(attempts - 1, policy, () => 0)
  )
    attempts++;
  return attempts;
}

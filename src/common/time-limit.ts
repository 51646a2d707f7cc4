import { type Clock, systemClock } from '../clock.js';

/**
 * What `work` settles to, or, when `ms` pass first, what `onTimeout` returns (or throws). The
 * timer is cleared either way, and a rejection of `work` after the time ran out is swallowed:
 * nobody is waiting for it any more.
 */
export async function settleWithin<T, F>(
  work: Promise<T>,
  ms: number,
  onTimeout: () => F,
  clock: Clock = systemClock,
): Promise<T | F> {
  let timer: ReturnType<Clock['setTimeout']> | undefined;
  const timeUp = new Promise<void>((resolve) => {
    timer = clock.setTimeout(resolve, ms);
  }).then(onTimeout);
  try {
    return await Promise.race([work, timeUp]);
  } finally {
    clock.clearTimeout(timer);
    work.catch(() => undefined);
  }
}

import type { DatabaseStats } from '../../src/index.js';

/** Sum of every close counter: each physical connection is counted under exactly one reason. */
export function totalClosed(stats: DatabaseStats): number {
  return (
    stats.maxLifetimeClosed +
    stats.maxIdleTimeClosed +
    stats.maxIdleClosed +
    stats.errorClosed +
    stats.rotationClosed +
    stats.shutdownClosed
  );
}

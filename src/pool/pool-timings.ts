/**
 * Durations the pool reports as they happen, in seconds (OpenTelemetry's unit for them). Only
 * set when metrics are on: without it the pool takes no timestamps at all.
 */
export interface PoolTimings {
  /** A physical connection was opened and logged in. */
  connectionCreated(seconds: number): void;
  /** A checkout obtained a connection, this long after it asked. */
  connectionWaited(seconds: number): void;
  /** A connection came back, this long after it was handed out. */
  connectionUsed(seconds: number): void;
}

export function secondsSince(startedAt: number): number {
  return (performance.now() - startedAt) / 1000;
}

import type pg from 'pg';

/** One pg-pool per username: pg's `user` is fixed per pool, so a username rotation needs a new one. */
export interface Generation {
  readonly username: string;
  readonly pool: pg.Pool;
  /** Superseded by a newer username: no new checkouts; closes its connections as they come back. */
  retiring: boolean;
  ending?: Promise<void>;
  /** Connections opened and not yet removed by pg-pool. */
  live: number;
  /** Resolves `ending` once pg-pool has removed the last connection (its 'remove' comes after end() resolves). */
  onDrained?: () => void;
}

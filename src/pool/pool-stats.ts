import type { CredentialCounters, CredentialStatus } from '../credentials/credential-cache.js';

/** Why a physical connection was closed. Every close is counted under exactly one. */
export type CloseReason = 'lifetime' | 'idleTime' | 'maxIdle' | 'error' | 'rotation' | 'shutdown';

/**
 * Pool statistics in Go `database/sql` `DBStats` vocabulary, plus credential counters.
 * No field ever holds a secret.
 */
export interface DatabaseStats extends CredentialCounters {
  /** Configured `maxOpenConnections`. */
  maxOpenConnections: number;
  /**
   * Physical connections open, opening or still closing, across generations: each holds a backend on the server, so
   * each counts against `maxOpenConnections`. `inUse` + `idle` are the ones that can serve a query.
   */
  openConnections: number;
  inUse: number;
  idle: number;
  /** Checkouts waiting for a connection right now. */
  waiting: number;
  /** Checkouts that had to wait because every connection was busy. */
  waitCount: number;
  /** Total time those checkouts waited, in ms. */
  waitDurationMs: number;
  /** Closed because more than `maxIdleConnections` stayed idle for a second (the longest idle first). */
  maxIdleClosed: number;
  /** Closed after `connectionMaxIdleTime` unused. */
  maxIdleTimeClosed: number;
  /** Closed at their deadline (`connectionMaxLifetime` − jitter). */
  maxLifetimeClosed: number;
  /** Closed because the connection broke. */
  errorClosed: number;
  /** Closed because the username rotated and their generation was drained. */
  rotationClosed: number;
  /** Closed by application shutdown. */
  shutdownClosed: number;
  /** Physical connections opened since start. */
  opened: number;
  /** Checkouts that gave up after `connectionTimeout` without a connection (not counting refused logins). */
  connectionTimeouts: number;
  /** Logins the database refused (SQLSTATE 28000 / 28P01). */
  authFailures: number;
  /** Checkouts that succeeded after at least one refused login. */
  authRecoveries: number;
  /** Pool generations (one per username) alive: 1, or 2 while an old one drains. */
  generations: number;
  credentials: CredentialStatus;
}

type CloseCounter =
  'maxLifetimeClosed' | 'maxIdleTimeClosed' | 'maxIdleClosed' | 'errorClosed' | 'rotationClosed' | 'shutdownClosed';

/** The stats field that counts each close reason. */
export const CLOSE_FIELD: Record<CloseReason, CloseCounter> = {
  lifetime: 'maxLifetimeClosed',
  idleTime: 'maxIdleTimeClosed',
  maxIdle: 'maxIdleClosed',
  error: 'errorClosed',
  rotation: 'rotationClosed',
  shutdown: 'shutdownClosed',
};

/** The monotonically growing counters of one pool. */
export class PoolCounters {
  waitCount = 0;
  waitDurationMs = 0;
  maxIdleClosed = 0;
  maxIdleTimeClosed = 0;
  maxLifetimeClosed = 0;
  errorClosed = 0;
  rotationClosed = 0;
  shutdownClosed = 0;
  opened = 0;
  connectionTimeouts = 0;
  authFailures = 0;
  authRecoveries = 0;

  countClose(reason: CloseReason): void {
    this[CLOSE_FIELD[reason]]++;
  }
}

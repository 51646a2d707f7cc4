import { Injectable } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { type HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { settleWithin } from '../common/time-limit.js';
import { DEFAULT_CONNECTION_NAME } from '../config/defaults.js';
import { getDbServiceToken } from '../database.utils.js';
import { type DbService, redactForDisplay } from '../db.service.js';
import { healthMessages } from './messages.js';

export interface DatabaseHealthCheckOptions {
  /** Connection name. Default `'default'`. */
  connection?: string;
  /** Ping timeout in ms. Default `1000`. */
  timeout?: number;
  /**
   * What the answer shows. `'full'` (default): pool stats and credential status (username, version,
   * last error) and, when down, the error (it names host:port and user). `'status'`: up, degraded or
   * down and nothing else, for a `/health` the public can reach; logs and metrics keep the details.
   */
  details?: 'full' | 'status';
}

const DEFAULT_PING_TIMEOUT_MS = 1_000;

/**
 * Terminus indicator: `SELECT 1` under a timeout, plus the pool's stats and credential
 * status. Down when the ping fails; degraded when it works but the last credential refresh
 * failed (cached credentials in use). Never throws, never shows a secret.
 */
@Injectable()
export class DatabaseHealthIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    private readonly moduleRef: ModuleRef,
  ) {}

  /**
   * @example
   * @Get('health') @HealthCheck()
   * check() { return this.health.check([() => this.db.isHealthy('database')]); }
   */
  // The plain result type, not the inferred one: terminus 11's types know no 'degraded' status,
  // and an inferred return type naming it fails to compile in a Nest 11 app.
  async isHealthy(key = 'database', options: DatabaseHealthCheckOptions = {}): Promise<HealthIndicatorResult> {
    const indicator = this.health.check(key);
    let db: DbService;
    try {
      db = this.moduleRef.get<DbService>(getDbServiceToken(options.connection), { strict: false });
    } catch {
      return indicator.down({
        message: healthMessages.noSuchConnection(options.connection ?? DEFAULT_CONNECTION_NAME),
      });
    }
    const timeout = options.timeout ?? DEFAULT_PING_TIMEOUT_MS;
    const full = options.details !== 'status';
    const started = Date.now();
    try {
      await settleWithin(db.query('SELECT 1'), timeout, () => {
        throw new PingTimeout();
      });
    } catch (error) {
      // Free text from the driver or a source: through the same redaction as the log lines.
      return indicator.down(
        full
          ? { message: redactForDisplay(db, pingFailure(error, timeout)), ...summary(db) }
          : { message: healthMessages.healthDownNoDetails() },
      );
    }
    const details = full ? { responseTimeMs: Date.now() - started, ...summary(db) } : {};
    if (db.stats().credentials.consecutiveFailures === 0) return indicator.up(details);
    // terminus 11 has no degraded(): there the answer is up (HTTP 200 all the same) and says so.
    const session = indicator as Partial<Pick<typeof indicator, 'degraded'>> & Pick<typeof indicator, 'up'>;
    return session.degraded ? session.degraded(details) : session.up({ ...details, degraded: true });
  }
}

function summary(db: DbService) {
  const { credentials, ...pool } = db.stats();
  const now = Date.now();
  return {
    pool,
    credentials: {
      ...credentials,
      lastError: credentials.lastError && redactForDisplay(db, credentials.lastError),
      ageSeconds: credentials.fetchedAt ? Math.round((now - Date.parse(credentials.fetchedAt)) / 1000) : undefined,
      expiresInSeconds: credentials.expiresAt
        ? Math.round((Date.parse(credentials.expiresAt) - now) / 1000)
        : undefined,
    },
  };
}

function pingFailure(error: unknown, timeout: number): string {
  if (error instanceof PingTimeout) return healthMessages.pingTimedOut(timeout);
  return error instanceof Error ? error.message : String(error);
}

class PingTimeout extends Error {}

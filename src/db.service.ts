import { Logger, type OnApplicationShutdown } from '@nestjs/common';
import type pg from 'pg';
import type { PoolClient, QueryResult, QueryResultRow } from 'pg';
import type { DatabaseModuleOptions } from './config/database-options.interface.js';
import { resolveDatabaseOptions } from './config/resolve-database-options.js';
import { CredentialCache } from './credentials/credential-cache.js';
import { messages } from './errors/messages.js';
import { logCredentialEvents } from './credentials/credential-log.js';
import { type PoolMetrics, registerPoolMetrics } from './metrics/pool-metrics.js';
import { resolveMeter } from './metrics/meter.js';
import { createCredentialProvider, credentialSourceRefusesPlaintext } from './sources/registry.js';
import type { DatabaseStats } from './pool/pool-stats.js';
import { RotatingPool } from './pool/rotating-pool.js';
import { PgPoolFacade } from './pool/pg-pool-facade.js';

/** Each service's redaction of the secrets it holds, for the health indicator (not public API). */
const redactors = new WeakMap<DbService, (text: string) => string>();

/** `text` with the connection's current password and any DSN password removed. */
export function redactForDisplay(db: DbService, text: string): string {
  return redactors.get(db)?.(text) ?? text;
}

/**
 * One database connection (a pool whose credentials rotate underneath it). Inject it for
 * the default connection, or with `@InjectDb(name)` for a named one.
 */
export class DbService implements OnApplicationShutdown {
  /**
   * This connection as a `pg.Pool` (an instance of your `pg.Pool` class) for ORMs and query
   * builders that take an existing pool: Prisma's `PrismaPg`, Drizzle, Kysely, Knex, MikroORM,
   * TypeORM. Same pool, same rotating credentials; the object never changes. Also injectable
   * with `@InjectPgPool(name?)`.
   *
   * @example
   * const db = drizzle({ client: dbService.pool });
   */
  readonly pool: pg.Pool;

  private constructor(
    /** The connection name. */
    readonly name: string,
    private readonly rotating: RotatingPool,
    private readonly credentials: CredentialCache,
    private readonly metrics?: PoolMetrics,
  ) {
    this.pool = new PgPoolFacade(rotating);
    redactors.set(this, (text) => credentials.redact(text));
  }

  /** Validates options, fetches the first credentials, and returns a ready service. No connection opens yet. */
  static async create(options: DatabaseModuleOptions): Promise<DbService> {
    const { credentialSource, meterProvider, durationMetrics, plaintextUnasked, ...poolOptions } =
      resolveDatabaseOptions(options);
    const logger = new Logger(`nestjs-rotating-pg:${poolOptions.name}`);
    // IAM and DSQL refuse plaintext unless their allowPlaintext asked for it.
    if (plaintextUnasked && !credentialSourceRefusesPlaintext(credentialSource))
      logger.warn(messages.plaintextConnection(poolOptions.connection.host, 'ssl'));
    const credentials = new CredentialCache(createCredentialProvider(credentialSource));
    logCredentialEvents(credentials, logger);
    const meter = await resolveMeter(meterProvider);
    // Observed lazily, at collection time, so the pool can be built after its instruments.
    const stats = (): DatabaseStats => pool.stats();
    const metrics =
      meter &&
      registerPoolMetrics(
        meter,
        { poolName: poolOptions.name, maxIdleConnections: poolOptions.maxIdleConnections, stats },
        { durations: durationMetrics },
      );
    const pool = new RotatingPool(poolOptions, credentials, logger, { timings: metrics?.timings });
    try {
      await pool.initialize();
    } catch (error) {
      metrics?.stop();
      await pool.end();
      throw error;
    }
    return new DbService(poolOptions.name, pool, credentials, metrics);
  }

  /**
   * Runs one statement on a pooled connection.
   *
   * @example
   * const { rows } = await db.query<{ id: number }>('SELECT id FROM users WHERE email = $1', [email]);
   */
  query<R extends QueryResultRow = QueryResultRow>(text: string, params?: unknown[]): Promise<QueryResult<R>> {
    return this.pool.query<R>(text, params);
  }

  /**
   * Lends one connection to `fn` and takes it back afterwards, also when `fn` throws
   * (then the connection is closed, as its session state is unknown).
   */
  async withClient<T>(fn: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.rotating.acquire();
    let failed = true;
    try {
      const result = await fn(client);
      failed = false;
      return result;
    } finally {
      client.release(failed);
    }
  }

  /**
   * Runs `fn` inside BEGIN/COMMIT; throws after ROLLBACK when `fn` throws.
   *
   * @example
   * await db.transaction(async (tx) => {
   *   await tx.query('UPDATE accounts SET balance = balance - $1 WHERE id = $2', [amount, from]);
   *   await tx.query('UPDATE accounts SET balance = balance + $1 WHERE id = $2', [amount, to]);
   * });
   */
  async transaction<T>(fn: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.rotating.acquire();
    let healthy = false;
    try {
      await client.query('BEGIN');
      let result: T;
      try {
        result = await fn(client);
      } catch (error) {
        // The caller wants fn's error, not a failed ROLLBACK's; a connection that cannot roll back is closed.
        healthy = await client.query('ROLLBACK').then(
          () => true,
          () => false,
        );
        throw error;
      }
      await client.query('COMMIT');
      healthy = true;
      return result;
    } finally {
      client.release(!healthy);
    }
  }

  /** Pool and credential statistics in Go `DBStats` terms. Holds no secret. */
  stats(): DatabaseStats {
    return this.rotating.stats();
  }

  /** Fetches credentials now (e.g. after a manual rotation). Concurrent calls share one fetch. */
  async refreshCredentials(): Promise<void> {
    await this.credentials.refresh('manual');
  }

  /** Ends the pool and credential timers; Nest calls it on `app.close()`. */
  async onApplicationShutdown(): Promise<void> {
    await this.rotating.end();
    this.metrics?.stop();
  }
}

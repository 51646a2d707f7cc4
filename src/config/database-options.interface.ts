import type { ConnectionOptions as TlsOptions } from 'node:tls';
import type { Duplex } from 'node:stream';
import type { CustomTypesConfig } from 'pg';
import type { MeterProviderLike } from '../common/opentelemetry.js';
import type { Duration } from '../common/duration.js';
import type { CredentialSourceOptions } from '../sources/registry.js';

/**
 * Options of one connection. Keys mirror the YAML config file's keys in camelCase, so
 * `connection_max_lifetime: "14m"` is `connectionMaxLifetime: '14m'`. Exactly one credential
 * source: each source's keys are documented in its folder (sources/<name>/). Every `Duration` is at
 * most 2³¹−1 ms (about 24.8 days), the longest delay a Node.js timer holds.
 */
export interface DatabaseModuleOptions extends CredentialSourceOptions {
  /** Connection name for `@InjectDb(name)`. Default `'default'` (inject `DbService` directly). */
  name?: string;
  /**
   * `postgresql://user[:password]@host:port/db?sslmode=…`, or libpq's `host=… dbname=…`. A password
   * in it is a static credential. Only keywords pg honours pass: pool settings (`maxUses`, `min`,
   * `max`…) are refused naming the option to use, and so is any unknown keyword; `connect_timeout`
   * (seconds) is `connectionTimeout`.
   */
  dsn?: string;
  /** Database host when no `dsn` is given. Default `'localhost'`. */
  host?: string;
  /** Database port when no `dsn` is given, 1–65535. Default `5432`. */
  port?: number;
  /** Database name when no `dsn` is given. Default: the user name. */
  database?: string;
  /** Database user (also the IAM user unless `awsIamAuth.dbUser` is set). */
  user?: string;
  /**
   * TLS options passed to pg (`true` for verify-full with Node's CAs, which lack the RDS CA: give
   * `{ ca }`). Default: from `dsn`, else off, with a warning at start unless the host is this machine
   * (`false` or `sslmode=disable` says plaintext is meant).
   */
  ssl?: boolean | TlsOptions;
  /** Most physical connections open at once (Go `SetMaxOpenConns`). Default `10`. */
  maxOpenConnections?: number;
  /**
   * Most idle connections kept (Go `SetMaxIdleConns`); extra ones close after a second idle, so a
   * burst's connections are reused by the next burst. Default `2`, or `maxOpenConnections` if lower.
   */
  maxIdleConnections?: number;
  /** A connection is closed this long after it opened, minus jitter. Default `'14m'`; must be > 0 and < 15m. */
  connectionMaxLifetime?: Duration;
  /**
   * Most a lifetime is shortened at random so connections opened together do not expire together. Default: a tenth of
   * `connectionMaxLifetime`.
   */
  connectionMaxLifetimeJitter?: Duration;
  /**
   * An idle connection is closed after this long unused (Go `SetConnMaxIdleTime`). Default `'10m'`; ≤
   * `connectionMaxLifetime`.
   */
  connectionMaxIdleTime?: Duration;
  /** Budget to get a usable connection, credential fetch and auth retries included. Default `'10s'`. */
  connectionTimeout?: Duration;
  /** `application_name` shown in `pg_stat_activity`. Default `'nestjs-rotating-pg'`. */
  applicationName?: string;
  /** Server-side cap on one statement (PostgreSQL `statement_timeout`). Default: the server's (none). */
  statementTimeout?: Duration;
  /**
   * Client-side cap on one query, including a network that stopped answering (pg `query_timeout`):
   * the query fails and its connection is closed. Default: none.
   */
  queryTimeout?: Duration;
  /** Most a statement waits for a lock (PostgreSQL `lock_timeout`). Default: the server's (none). */
  lockTimeout?: Duration;
  /**
   * Closes a session left idle inside a transaction (PostgreSQL `idle_in_transaction_session_timeout`). Default: the
   * server's.
   */
  idleInTransactionSessionTimeout?: Duration;
  /** TCP keep-alive on every connection (pg `keepAlive`), so a dead peer is noticed. Default `false`. */
  keepAlive?: boolean;
  /** Idle time before the first keep-alive probe (pg `keepAliveInitialDelayMillis`). Default `0` (the OS's). */
  keepAliveInitialDelay?: Duration;
  /** Command-line options sent at login (pg `options`), e.g. `'-c search_path=app'`. Default: none. */
  options?: string;
  /**
   * The role every session acts as (`SET ROLE`), sent at login as `-c role=<sessionRole>` in `options`, so objects a
   * migration or the app creates belong to this stable role, not to a login user that rotates away (alternating users,
   * a Vault lease). `RESET ROLE` and `DISCARD ALL` return to it. Each login user must be a member of it (`GRANT
   * <sessionRole> TO <user>`); the name is exact (no case folding). A pooler may drop startup options (PgBouncer with
   * `options` in ignore_startup_parameters; `doctor` notices): there, use
   * `ALTER ROLE <user> SET role = '<sessionRole>'`. Default: none (the login user).
   */
  sessionRole?: string;
  /** Custom type parsers for every connection (pg `types`, e.g. a `TypeOverrides`). Default: pg's. */
  types?: CustomTypesConfig;
  /**
   * Opens the socket of each new connection instead of pg's own connect to `host`:`port` (pg `stream`), e.g. the
   * `stream` of `@google-cloud/cloud-sql-connector`'s `getOptions()`. Called once per physical connection, rotations
   * included; pg then logs in over it. A socket that is TLS already (the connector's) goes with `ssl: false`. In code
   * only, not in a YAML file. Default: pg's socket.
   */
  stream?: () => Duplex;
  /**
   * Where the pool's OpenTelemetry metrics go. Default: the global MeterProvider (the one the
   * OpenTelemetry SDK registers at start-up); with none registered, or without
   * `@opentelemetry/api` installed, no metric is recorded and nothing is measured.
   */
  meterProvider?: MeterProviderLike;
  /**
   * Record the connection create, wait and use time histograms. Default `true`. Each checkout
   * hands two values to the OpenTelemetry SDK, about 2 µs of CPU: `false` saves it for
   * processes running tens of thousands of trivial queries per second. Counters and gauges stay.
   */
  durationMetrics?: boolean;
}

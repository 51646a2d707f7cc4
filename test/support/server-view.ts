import pg from 'pg';
import type { TestPostgres } from '../../src/testing/index.js';
import { sleep } from './load.js';

/** One client backend as `pg_stat_activity` shows it. */
export interface Backend {
  pid: number;
  /** null while the backend is still authenticating. */
  usename: string | null;
  /** PostgreSQL 18 shows a backend that is authenticating as 'starting', with no user and no database yet. */
  state: string | null;
}

/**
 * The server's own view of a pool's connections, read over one admin connection that stays open:
 * polling it adds no login, and no backend of its own to the counts (a fresh admin connection per
 * read would itself show up as 'starting' to a concurrent read). Role changes during a test go
 * through it for the same reason.
 */
export class ServerView {
  private constructor(
    private readonly client: pg.Client,
    private readonly ownPid: number,
    private readonly usernames: readonly string[],
  ) {}

  /** Watches the backends of `usernames`, and every backend still authenticating (it has no user yet). */
  static async open(server: TestPostgres, usernames: readonly string[]): Promise<ServerView> {
    const client = new pg.Client({ connectionString: server.url });
    // Stopping the server ends this session too (57P01); a read after that fails on its own.
    client.on('error', () => undefined);
    await client.connect();
    const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    return new ServerView(client, rows[0]!.pid, usernames);
  }

  /** The watched users' client backends, and the ones still authenticating. */
  async backends(): Promise<Backend[]> {
    const { rows } = await this.client.query<Backend>(
      `SELECT pid, usename, state FROM pg_stat_activity
        WHERE backend_type = 'client backend' AND pid <> $1 AND (usename = ANY($2) OR usename IS NULL)
        ORDER BY pid`,
      [this.ownPid, this.usernames],
    );
    return rows;
  }

  async count(): Promise<number> {
    return (await this.backends()).length;
  }

  /**
   * Polls until no watched backend is left; returns what remained at the
   * deadline otherwise (a backend stuck in authentication stays 60 s).
   */
  async drained(timeoutMs = 3_000): Promise<Backend[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const left = await this.backends();
      if (left.length === 0 || Date.now() > deadline) return left;
      await sleep(25);
    }
  }

  /** Samples the backends back to back until `stop()`; keeps the largest count seen, and the sample it was in. */
  watch(): { readonly max: number; readonly busiest: Backend[]; readonly samples: number; stop(): Promise<void> } {
    let running = true;
    const seen = { max: 0, busiest: [] as Backend[], samples: 0 };
    // A failed read ends the loop and is thrown by stop(): a test that fails first (and closes the
    // view) must not leave a rejected promise behind.
    const loop = (async () => {
      while (running) {
        const backends = await this.backends();
        seen.samples++;
        if (backends.length > seen.max) Object.assign(seen, { max: backends.length, busiest: backends });
        await sleep(2);
      }
    })().then(
      () => undefined,
      (error: unknown) => ({ error }),
    );
    return Object.assign(seen, {
      async stop() {
        running = false;
        const failed = await loop;
        if (failed) throw failed.error;
      },
    });
  }

  /** SQL as the superuser, over the view's own connection. */
  admin(sql: string, params?: unknown[]): Promise<pg.QueryResult> {
    return this.client.query(sql, params);
  }

  async setPassword(username: string, password: string): Promise<void> {
    await this.client.query(`ALTER ROLE ${username} PASSWORD '${password}'`);
  }

  close(): Promise<void> {
    return this.client.end();
  }
}

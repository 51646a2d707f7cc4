import pg from 'pg';
import { DatabaseConnectionError, DbService } from '../../src/index.js';
import { startTestPostgres, type TestPostgres } from '../../src/testing/index.js';
import { eventually, sleep } from '../support/load.js';
import { createTestRole } from '../support/roles.js';
import { connectionDiedUnderQuery, describeFailure } from '../support/failures.js';

let server: TestPostgres;
beforeAll(async () => {
  // A server of its own: this file restarts it.
  server = await startTestPostgres({ alwaysEmbedded: true });
});
afterAll(() => server.stop());

const CONNECTION_TIMEOUT_MS = 2_000;

/** What a failed query was: the pool could not connect, or its connection died under it. */
function kindOf(error: unknown): string {
  if (error instanceof DatabaseConnectionError) return `DatabaseConnectionError ${error.code}`;
  // Queries running when the server shut down (fast shutdown terminates sessions).
  if (error instanceof pg.DatabaseError && error.code === '57P01') return 'terminated by the shutdown (57P01)';
  if (connectionDiedUnderQuery(error)) return 'connection died under a running query';
  return `unexpected: ${describeFailure(error)}`;
}

describe('a database restart under load (16 callers)', () => {
  it('fails queries only while the server is down, each typed and bounded by connectionTimeout; serves again after; leaks no connection', async () => {
    const role = await createTestRole(server, 'restart');
    const db = await DbService.create({
      dsn: role.dsn,
      maxOpenConnections: 16,
      maxIdleConnections: 16,
      connectionTimeout: `${CONNECTION_TIMEOUT_MS}ms`,
    });
    const failures = new Map<string, number>();
    let succeeded = 0;
    let slowest = 0;
    let running = true;
    const callers = Array.from({ length: 16 }, async () => {
      while (running) {
        const started = Date.now();
        try {
          await db.query('SELECT pg_sleep(0.005)');
          succeeded++;
        } catch (error) {
          const kind = kindOf(error);
          failures.set(kind, (failures.get(kind) ?? 0) + 1);
          // Back off a little, as a caller would, instead of spinning on a down server.
          await sleep(20);
        }
        slowest = Math.max(slowest, Date.now() - started);
      }
    });
    await eventually('load to run', () => succeeded > 200);
    await server.restart();
    const restartedAt = Date.now();
    const servedBefore = succeeded;
    await eventually('queries to succeed again', () => succeeded > servedBefore + 100, 10_000);
    const recoveryMs = Date.now() - restartedAt;
    running = false;
    await Promise.all(callers);

    if (process.env.REPORT_FIGURES) {
      process.stdout.write(
        `FIGURES restart: ${succeeded} ok, failures ${JSON.stringify(Object.fromEntries(failures))}, serving again ${recoveryMs} ms after the restart, slowest call ${slowest} ms\n`,
      );
    }
    const kinds = [...failures.keys()];
    expect(kinds.filter((kind) => kind.startsWith('unexpected'))).toEqual([]);
    // Checkouts during the outage: the typed error, with Node's code, not a raw ECONNREFUSED.
    expect(kinds).toContain('DatabaseConnectionError ECONNREFUSED');
    // Nothing hangs: a call ends within its connection budget (plus room for a busy machine).
    expect(slowest).toBeLessThan(CONNECTION_TIMEOUT_MS + 5_000);
    // Leaks nothing: once load stops, the role's backends are exactly the pool's open connections.
    const backends = async () =>
      (await server.admin('SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = $1', [role.username]))
        .rows[0].n as number;
    await eventually('backends to match the pool', async () => (await backends()) === db.stats().openConnections);
    expect(db.stats().inUse).toBe(0);
    await db.onApplicationShutdown();
    await eventually('no backend left', async () => (await backends()) === 0);
  }, 60_000);
});

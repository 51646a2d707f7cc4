import pg from 'pg';
import { DbService } from '../../src/index.js';
import { captureNestLog } from '../support/captured-log.js';
import { eventually, every, runLoad } from '../support/load.js';
import { useTestDatabase } from '../support/roles.js';
import { totalClosed } from '../support/stats.js';
import { connectionDiedUnderQuery, describeFailure } from '../support/failures.js';

const database = useTestDatabase('killed');

/** How a query failed when its backend was killed: only running queries may fail, and only this way. */
function kindOf(error: unknown): string {
  if (error instanceof pg.DatabaseError && error.code === '57P01') return 'terminated (57P01)';
  if (connectionDiedUnderQuery(error)) return 'connection died under the query';
  return `unexpected: ${describeFailure(error)}`;
}

describe('backends killed under the pool (pg_terminate_backend on every backend of the role, every 400 ms, 16 callers)', () => {
  it('drops the broken connections (counted under errorClosed), fails only queries that were running on them, never crashes, and serves the next ones', async () => {
    const log = captureNestLog();
    const { server, role } = database;
    const db = await DbService.create({ dsn: role.dsn, maxOpenConnections: 16, maxIdleConnections: 16 });
    let killed = 0;
    const killer = every(400, async () => {
      const { rows } = await server.admin(
        'SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE usename = $1',
        [role.username],
      );
      killed += rows[0].n as number;
    });
    const failures = new Map<string, number>();
    const load = await runLoad(16, 5_000, async () => {
      try {
        await db.query('SELECT pg_sleep(0.005)');
      } catch (error) {
        const kind = kindOf(error);
        failures.set(kind, (failures.get(kind) ?? 0) + 1);
        throw error;
      }
    });
    await killer.stop();
    // The last kill may have landed just now: its idle victims' sockets may not have been read yet
    // (any pool would hand one out once). The pool has noticed every kill once its open connections
    // are exactly the role's backends.
    await eventually('every killed connection noticed by the pool', async () => {
      const { rows } = await server.admin('SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = $1', [
        role.username,
      ]);
      return rows[0].n === db.stats().openConnections;
    });
    const after = await runLoad(16, 500, () => db.query('SELECT 1'));
    const stats = db.stats();
    await db.onApplicationShutdown();
    log.restore();

    if (process.env.REPORT_FIGURES) {
      process.stdout.write(
        `FIGURES killed: ${killed} backends killed, ${load.succeeded} ok, failures ${JSON.stringify(Object.fromEntries(failures))}, errorClosed ${stats.errorClosed}\n`,
      );
    }
    expect(killed).toBeGreaterThan(16);
    expect([...failures.keys()].filter((kind) => kind.startsWith('unexpected'))).toEqual([]);
    // Only queries on a killed backend fail: at most one per killed backend.
    expect(load.failed).toBeLessThanOrEqual(killed);
    expect(load.succeeded).toBeGreaterThan(load.failed);
    expect(after.failed).toBe(0);
    expect(stats.errorClosed).toBeGreaterThan(0);
    // Every login is open (in use or idle) or counted by the reason it closed; none opens after the load.
    expect(stats.opened).toBe(stats.inUse + stats.idle + totalClosed(stats));
    // Idle ones that broke are logged as such (warn); never with the password.
    expect(JSON.stringify(log.lines)).not.toContain(role.password);
  }, 60_000);
});

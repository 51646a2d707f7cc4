import type pg from 'pg';
import { poolHarness } from '../support/pool-harness.js';
import type { StandInClient } from '../support/stand-in-pg.js';

/** Defect 4 of issue 19: a connection in an aborted or open transaction went back to the idle set. */
describe('a connection given back with an unclean session', () => {
  async function oneConnectionPool() {
    const harness = await poolHarness({ maxOpenConnections: 1, maxIdleConnections: 1 });
    const checkout = async (): Promise<pg.PoolClient> => {
      const acquiring = harness.pool.acquire();
      await harness.clock.advance(harness.server.loginMs);
      return acquiring;
    };
    return { ...harness, checkout };
  }

  it('is closed after pool.query("BEGIN; SELECT 1/0"), though pg hands the error over before the ReadyForQuery that says "aborted"', async () => {
    const { pgPool, clock, pool, server } = await oneConnectionPool();
    const failing = pgPool.query('BEGIN; FAIL');
    await clock.advance(server.loginMs);
    await expect(failing).rejects.toMatchObject({ code: '22012' });
    const next = pgPool.query('SELECT 1');
    await clock.advance(1 + server.loginMs);
    await expect(next).resolves.toMatchObject({ rowCount: 1 });
    expect(server.clients.map((client) => client._txStatus)).toEqual(['E', 'I']);
    expect(pool.stats()).toMatchObject({ errorClosed: 1, opened: 2 });
  });

  it('is closed after an aborted transaction, though pg hands the error over before ReadyForQuery', async () => {
    const { checkout, clock, pool } = await oneConnectionPool();
    const first = await checkout();
    await first.query('BEGIN');
    await expect(first.query('FAIL')).rejects.toMatchObject({ code: '22012' });
    // The status message has not arrived yet: pg still reports the transaction as open, not failed.
    expect((first as unknown as StandInClient).readyForQuery).toBe(false);
    first.release();
    await clock.advance(1);
    const second = await checkout();
    expect(second).not.toBe(first);
    expect((second as unknown as StandInClient)._txStatus).toBe('I');
    expect(pool.stats()).toMatchObject({ errorClosed: 1, opened: 2 });
  });

  it('is closed when given back inside an open transaction', async () => {
    const { checkout, pool } = await oneConnectionPool();
    const first = await checkout();
    await first.query('BEGIN');
    first.release();
    const second = await checkout();
    expect(second).not.toBe(first);
    expect(pool.stats()).toMatchObject({ errorClosed: 1 });
  });

  it('is kept after a plain statement error, once ReadyForQuery says the session is idle', async () => {
    const { checkout, clock, pool } = await oneConnectionPool();
    const first = await checkout();
    await expect(first.query('FAIL')).rejects.toMatchObject({ code: '22012' });
    first.release();
    await clock.advance(1);
    expect(await checkout()).toBe(first);
    expect(pool.stats()).toMatchObject({ errorClosed: 0, opened: 1 });
  });

  it('is kept through DbService-style pool.query failures, and the next query runs on it', async () => {
    const { pgPool, clock, pool } = await oneConnectionPool();
    const failing = pgPool.query('FAIL');
    await clock.advance(5);
    await expect(failing).rejects.toMatchObject({ code: '22012' });
    await clock.advance(1);
    const next = pgPool.query('SELECT 1');
    await clock.advance(0);
    await expect(next).resolves.toMatchObject({ rowCount: 1 });
    expect(pool.stats()).toMatchObject({ errorClosed: 0, opened: 1 });
  });
});

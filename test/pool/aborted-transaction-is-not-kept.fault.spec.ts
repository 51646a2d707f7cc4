import pg from 'pg';
import { DbService } from '../../src/index.js';
import { DelayedReadyForQueryProxy } from '../support/delayed-ready-proxy.js';
import { eventually } from '../support/load.js';
import { useTestDatabase } from '../support/roles.js';
import { ServerView } from '../support/server-view.js';

/**
 * Issue 19, defect 4: a connection given back inside an aborted or open transaction must not
 * serve the next caller. With maxOpenConnections 1 a kept one fails every later query with
 * `current transaction is aborted` (25P02) until its lifetime ends, or runs them inside someone
 * else's transaction. pg hands the error to the caller before the ReadyForQuery message that
 * carries the transaction status, so each case also runs with that message delayed (by a proxy).
 */
const database = useTestDatabase('txn');

let view: ServerView;
let proxy: DelayedReadyForQueryProxy;
beforeAll(async () => {
  view = await ServerView.open(database.server, [database.role.username]);
  // The 5 ms sets up the race on an idle machine; the proxy and pg share this process's event
  // loop, so a stall longer than the delay lets both messages land in one read. 50 ms keeps the race
  // set up on a busy machine, and the checks below fail if it was not.
  proxy = await new DelayedReadyForQueryProxy({ host: database.server.host, port: database.server.port }, 50).start();
});
afterAll(async () => {
  await proxy.stop();
  await view.close();
});

interface GiveBack {
  /**
   * Uses the one connection and gives it back in a transaction; resolves once it is given back,
   * with whether pg had read ReadyForQuery at that moment when the way can tell.
   */
  run(db: DbService): Promise<boolean | void>;
  /** The statement fails, so pg reads ReadyForQuery after handing out the error. */
  fails: boolean;
}

const divisionByZero = (error: unknown) => expect(error).toMatchObject({ code: '22012' });

const ways: Record<string, GiveBack> = {
  "db.query('BEGIN; SELECT 1/0') (aborted)": {
    fails: true,
    run: (db) =>
      db.query('BEGIN; SELECT 1/0').then(() => Promise.reject(new Error('the query should fail')), divisionByZero),
  },
  "pool.connect(), 'BEGIN; SELECT 1/0' caught, release() (aborted)": {
    fails: true,
    async run(db) {
      const client = await db.pool.connect();
      divisionByZero(await client.query('BEGIN; SELECT 1/0').catch((error: unknown) => error));
      const ready = (client as unknown as { readyForQuery: boolean }).readyForQuery;
      client.release();
      return ready;
    },
  },
  "withClient(c => c.query('BEGIN')) (open)": {
    fails: false,
    run: (db) => db.withClient((client) => client.query('BEGIN')).then(() => undefined),
  },
  "db.pool.query('BEGIN') (open)": {
    fails: false,
    run: (db) => db.pool.query('BEGIN').then(() => undefined),
  },
};

async function pidOf(db: DbService): Promise<number> {
  return (await db.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
}

describe.each([
  ['straight to the server', false],
  ['ReadyForQuery delayed after an error (proxy)', true],
])('issue 19 defect 4: a connection given back in a transaction is closed, not kept (%s)', (_route, delayed) => {
  it.each(Object.keys(ways))(
    '%s: with maxOpenConnections 1 the next query succeeds on a fresh backend, and the server keeps no session in a transaction',
    async (way) => {
      const { role } = database;
      const dsn = delayed ? role.dsn.replace(`:${database.server.port}/`, `:${proxy.port}/`) : role.dsn;
      const db = await DbService.create({ dsn, maxOpenConnections: 1, maxIdleConnections: 1 });
      try {
        const before = await pidOf(db);
        const delayedBefore = proxy.delayed;
        const readyAtRelease = await ways[way]!.run(db);
        // When the proxy held ReadyForQuery back (a busy machine can deliver both messages in one read;
        // the race itself is shown by its own test below), the connection was given back before pg knew
        // the transaction status. Either way the connection must not be kept.
        if (delayed && proxy.delayed > delayedBefore && readyAtRelease !== undefined)
          expect(readyAtRelease).toBe(false);

        const after = await pidOf(db);
        expect(after).not.toBe(before);
        await eventually('the old backend gone at the server', async () =>
          (await view.backends()).every((backend) => backend.pid !== before),
        );
        const backends = await view.backends();
        expect(backends.map(({ pid, state }) => ({ pid, state }))).toEqual([{ pid: after, state: 'idle' }]);
        // The pool counts the old connection until its socket has closed too.
        await eventually('the pool to see the old socket closed', () => db.stats().openConnections === 1);
        expect(db.stats()).toMatchObject({ errorClosed: 1, inUse: 0, idle: 1 });
      } finally {
        await db.onApplicationShutdown();
      }
    },
    15_000,
  );
});

describe('the race the delay sets up', () => {
  it('through the proxy, the caller has the error while pg has not yet read ReadyForQuery', async () => {
    const dsn = database.role.dsn.replace(`:${database.server.port}/`, `:${proxy.port}/`);
    const client = new pg.Client({ connectionString: dsn });
    await client.connect();
    try {
      divisionByZero(await client.query('BEGIN; SELECT 1/0').catch((error: unknown) => error));
      const view = client as unknown as { readyForQuery: boolean; _txStatus: string };
      // What a pool reading the status at this moment would see: not ready, and the previous statement's 'I'.
      expect({ readyForQuery: view.readyForQuery, status: view._txStatus }).toEqual({
        readyForQuery: false,
        status: 'I',
      });
      await eventually('ReadyForQuery read', () => view.readyForQuery);
      expect(view._txStatus).toBe('E');
    } finally {
      await client.end();
    }
  });
});

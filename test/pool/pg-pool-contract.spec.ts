import { inspect } from 'node:util';
import pg from 'pg';
import { DbService } from '../../src/index.js';
import { eventually } from '../support/load.js';
import { SwitchableProvider } from '../support/providers.js';
import { createTestRole, newPassword, setPassword, useTestDatabase } from '../support/roles.js';

const database = useTestDatabase();

/** pg.Pool's documented behaviours, held by `DbService.pool` (what ORMs are handed). */
describe('DbService.pool is a pg.Pool', () => {
  let db: DbService;
  let pool: pg.Pool;
  beforeEach(async () => {
    db = await DbService.create({ dsn: database.role.dsn, maxOpenConnections: 4, maxIdleConnections: 4 });
    pool = db.pool;
  });
  afterEach(() => db.onApplicationShutdown());

  it('is an instance of the application’s pg.Pool class, the same object every time', () => {
    expect(pool).toBeInstanceOf(pg.Pool);
    expect(pool.constructor.name).toContain('Pool');
    expect(db.pool).toBe(pool);
  });

  it('answers query(text, values) and query(config) with rowMode, types and a prepared name', async () => {
    const { rows } = await pool.query<{ n: number }>('SELECT $1::int AS n', [41]);
    expect(rows).toEqual([{ n: 41 }]);
    const asArrays = await pool.query({ text: 'SELECT 1 AS a, 2 AS b', rowMode: 'array' });
    expect(asArrays.rows).toEqual([[1, 2]]);
    const typed = await pool.query({
      text: 'SELECT 7::int8 AS big',
      types: { getTypeParser: () => (value: string) => `parsed:${value}` },
    });
    expect(typed.rows).toEqual([{ big: 'parsed:7' }]);
    for (const n of [1, 2]) {
      const prepared = await pool.query({ name: 'contract-prepared', text: 'SELECT $1::int + 1 AS n', values: [n] });
      expect(prepared.rows).toEqual([{ n: n + 1 }]);
    }
  });

  it('answers the callback forms of query and connect', async () => {
    const viaText = await new Promise<pg.QueryResult>((resolve, reject) =>
      pool.query('SELECT 1 AS one', (error, result) => (error ? reject(error) : resolve(result))),
    );
    expect(viaText.rows).toEqual([{ one: 1 }]);
    const viaValues = await new Promise<pg.QueryResult>((resolve, reject) =>
      pool.query('SELECT $1::text AS t', ['x'], (error, result) => (error ? reject(error) : resolve(result))),
    );
    expect(viaValues.rows).toEqual([{ t: 'x' }]);
    const failure = await new Promise<Error>((resolve) => pool.query('SELECT nope', (error) => resolve(error)));
    expect(failure).toMatchObject({ code: '42703' });
    const pid = await new Promise<number>((resolve, reject) =>
      pool.connect((error, client, done) => {
        if (error) return reject(error);
        if (!client) return reject(new Error('pool.connect gave neither an error nor a client'));
        client.query('SELECT pg_backend_pid() AS pid').then((result) => {
          done();
          resolve(result.rows[0].pid);
        }, reject);
      }),
    );
    expect(pid).toBeGreaterThan(0);
  });

  it('lends real PoolClients: one backend per checkout, release(true) and release(err) destroy, a second release throws', async () => {
    const client = await pool.connect();
    expect(client).toBeInstanceOf(pg.Client);
    const first = await client.query('SELECT pg_backend_pid() AS pid');
    const second = await client.query('SELECT pg_backend_pid() AS pid');
    expect(second.rows[0].pid).toBe(first.rows[0].pid);
    client.release(true);
    expect(() => client.release()).toThrow(/already been released/);
    const another = await pool.connect();
    another.release(new Error('session state unknown'));
    await eventually('both destroyed clients to close', () => db.stats().errorClosed === 2 && pool.totalCount === 0);
  });

  it('keeps a connection after a plain SQL error, as its session is intact', async () => {
    await pool.query('SELECT 1');
    await expect(pool.query('SELECT 1/0')).rejects.toMatchObject({ code: '22012' });
    expect(db.stats().errorClosed).toBe(0);
    expect(pool.totalCount).toBe(1);
  });

  it('reports totalCount, idleCount and waitingCount across the connection', async () => {
    const clients = await Promise.all([1, 2, 3, 4].map(() => pool.connect()));
    expect([pool.totalCount, pool.idleCount, pool.waitingCount]).toEqual([4, 0, 0]);
    const waiting = pool.connect();
    await eventually('a checkout to wait', () => pool.waitingCount === 1);
    clients[0]!.release();
    const fifth = await waiting;
    expect(pool.waitingCount).toBe(0);
    for (const client of [...clients.slice(1), fifth]) client.release();
    expect([pool.totalCount, pool.idleCount]).toEqual([4, 4]);
    expect(pool.expiredCount).toBe(0);
  });

  it('emits connect, acquire, release and remove', async () => {
    const seen: string[] = [];
    for (const event of ['connect', 'acquire', 'release', 'remove'] as const) pool.on(event, () => seen.push(event));
    const client = await pool.connect();
    client.release(true);
    await eventually('remove', () => seen.includes('remove'));
    expect(seen).toEqual(['connect', 'acquire', 'release', 'remove']);
  });

  it('re-emits an idle connection’s error to listeners, and never crashes without one', async () => {
    const errors: Error[] = [];
    const client = await pool.connect();
    const { rows } = await client.query('SELECT pg_backend_pid() AS pid');
    client.release();
    await database.server.admin('SELECT pg_terminate_backend($1)', [rows[0].pid]);
    await eventually('the killed idle connection to close', () => pool.totalCount === 0);
    pool.on('error', (error) => errors.push(error));
    const again = await pool.connect();
    const next = await again.query('SELECT pg_backend_pid() AS pid');
    again.release();
    await database.server.admin('SELECT pg_terminate_backend($1)', [next.rows[0].pid]);
    await eventually('the error to reach the listener', () => errors.length === 1);
    expect(db.stats().errorClosed).toBe(2);
    await expect(pool.query('SELECT 1 AS ok')).resolves.toMatchObject({ rows: [{ ok: 1 }] });
  });

  it('describes the current connection in options, with the password only as a function', () => {
    expect(pool.options).toMatchObject({
      user: database.role.username,
      host: database.server.host,
      port: database.server.port,
      max: 4,
    });
    expect(typeof pool.options.password).toBe('function');
    expect(JSON.stringify(pool.options)).not.toContain(database.role.password);
  });

  it('shows no password through util.inspect or JSON.stringify, even with open connections', async () => {
    const client = await pool.connect();
    await client.query('SELECT 1');
    client.release();
    for (const shown of [
      inspect(pool, { showHidden: true, depth: 6 }),
      inspect(db, { depth: 6 }),
      JSON.stringify(pool.options),
    ]) {
      expect(shown).not.toContain(database.role.password);
    }
  });

  it('ends once for any number of end() calls, in either order with the module’s shutdown, promise or callback', async () => {
    await pool.query('SELECT 1');
    const ended = new Promise<void>((resolve, reject) =>
      pool.end((error?: Error) => (error ? reject(error) : resolve())),
    );
    await Promise.all([pool.end(), db.onApplicationShutdown(), ended, pool.end()]);
    await pool.end();
    expect([pool.ending, pool.ended, pool.totalCount]).toEqual([true, true, 0]);
    await expect(pool.query('SELECT 1')).rejects.toThrow(/shut down/);
    await expect(pool.connect()).rejects.toThrow(/shut down/);
  });
});

describe('DbService.pool through a username rotation', () => {
  it('stays the same object while options and connections move to the new user', async () => {
    const user = await createTestRole(database.server, 'pool');
    const clone = await createTestRole(database.server, 'pool_clone');
    const provider = new SwitchableProvider(user.username, user.password);
    const db = await DbService.create({ dsn: user.bareDsn, credentialProvider: provider });
    const pool = db.pool;
    const acquiredBy: string[] = [];
    pool.on('acquire', (client) => acquiredBy.push((client as unknown as { user: string }).user));
    const before = await pool.query<{ who: string }>('SELECT current_user AS who');
    expect(before.rows[0]!.who).toBe(user.username);
    const password = newPassword();
    await setPassword(database.server, clone.username, password);
    provider.publish({ username: clone.username, password }, 'v1');
    await db.refreshCredentials();
    const after = await pool.query<{ who: string }>('SELECT current_user AS who');
    expect(after.rows[0]!.who).toBe(clone.username);
    expect(db.pool).toBe(pool);
    expect(pool.options.user).toBe(clone.username);
    // Events of the new generation reach listeners added before it existed.
    expect(acquiredBy).toEqual([user.username, clone.username]);
    await db.onApplicationShutdown();
  });
});

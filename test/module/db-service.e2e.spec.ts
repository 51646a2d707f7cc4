import { Test, type TestingModule } from '@nestjs/testing';
import { DatabaseModule, DbService } from '../../src/index.js';
import { eventually } from '../support/load.js';
import { useTestDatabase } from '../support/roles.js';

/** What an application calls on the injected DbService: transaction, withClient, query. */
const database = useTestDatabase('ledger');

describe('DbService', () => {
  let app: TestingModule;
  let db: DbService;

  beforeEach(async () => {
    app = await Test.createTestingModule({ imports: [DatabaseModule.forRoot({ dsn: database.role.dsn })] }).compile();
    await app.init();
    db = app.get(DbService);
    await db.query('CREATE TABLE IF NOT EXISTS ledger (id serial PRIMARY KEY, note text NOT NULL)');
    await db.query('TRUNCATE ledger');
  });

  afterEach(() => app.close());

  it('commits a transaction', async () => {
    const id = await db.transaction(async (tx) => {
      const { rows } = await tx.query<{ id: number }>("INSERT INTO ledger (note) VALUES ('kept') RETURNING id");
      return rows[0]!.id;
    });
    expect((await db.query('SELECT note FROM ledger WHERE id = $1', [id])).rows).toEqual([{ note: 'kept' }]);
  });

  it('rolls a transaction back when the callback throws, and rethrows', async () => {
    await expect(
      db.transaction(async (tx) => {
        await tx.query("INSERT INTO ledger (note) VALUES ('dropped')");
        throw new Error('business rule failed');
      }),
    ).rejects.toThrow('business rule failed');
    expect((await db.query('SELECT count(*)::int AS n FROM ledger')).rows).toEqual([{ n: 0 }]);
    expect(db.stats().inUse).toBe(0);
  });

  it("rethrows the callback's error even when ROLLBACK fails, and closes that connection", async () => {
    await expect(
      db.transaction(async (tx) => {
        await tx.query('SELECT pg_terminate_backend(pg_backend_pid())').catch(() => undefined);
        throw new Error('the original failure');
      }),
    ).rejects.toThrow('the original failure');
    expect(db.stats()).toMatchObject({ inUse: 0, errorClosed: 1 });
    expect((await db.query('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
  });

  it('releases the client of withClient even when the callback throws', async () => {
    await expect(db.withClient(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(db.stats().inUse).toBe(0);
  });

  it('keeps the connection after an SQL error in query()', async () => {
    await db.query('SELECT 1');
    const opened = db.stats().opened;
    await expect(db.query('SELECT * FROM no_such_table')).rejects.toMatchObject({ code: '42P01' });
    // pg hands over the error before the server's ReadyForQuery says the session is clean: the
    // connection returns once it has.
    await eventually('the connection to be idle again', () => db.stats().inUse === 0);
    expect(db.stats()).toMatchObject({ errorClosed: 0, opened });
  });
});

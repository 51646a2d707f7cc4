import { type Generated, Kysely, PostgresDialect, sql, type Transaction } from 'kysely';
import type { Pool } from 'pg';
import { DbService } from '../../src/index.js';
import { startTestPostgres, type TestPostgres } from '../../src/testing/index.js';
import { bootWithPoolProvider, createRotatingDatabase, expectNoFailedOperations, type RotationKind, runThroughRotations } from '../support/orm-rotation.js';
import { createTestRole } from '../support/roles.js';

interface Schema {
  notes: { id: Generated<number>; worker: number; body: string };
}
const CREATE_NOTES = sql`CREATE TABLE notes (id serial PRIMARY KEY, worker int NOT NULL, body text NOT NULL)`;

let server: TestPostgres;
beforeAll(async () => {
  server = await startTestPostgres();
});
afterAll(() => server.stop());

function kyselyOn(pool: Pool): Kysely<Schema> {
  return new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) });
}

async function backendPid(db: Kysely<Schema> | Transaction<Schema>): Promise<number> {
  const { rows } = await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(db);
  return rows[0]!.pid;
}

describe.each<RotationKind>(['password', 'username'])('Kysely on DbService.pool through a %s rotation', (kind) => {
  it('fails no insert, select or transaction, and each transaction stays on one backend', async () => {
    const database = await createRotatingDatabase(server, kind);
    const db = kyselyOn(database.db.pool);
    await CREATE_NOTES.execute(db);
    const run = await runThroughRotations(database, async (worker) => {
      await db.insertInto('notes').values({ worker, body: 'plain' }).execute();
      await db.transaction().execute(async (trx) => {
        const before = await backendPid(trx);
        await trx.insertInto('notes').values({ worker, body: 'in a transaction' }).execute();
        if ((await backendPid(trx)) !== before) throw new Error('transaction moved between backends');
      });
      await db.selectFrom('notes').selectAll().where('worker', '=', worker).limit(5).execute();
    });
    expectNoFailedOperations(run);
    // Kysely's destroy() ends the pool it was given; the module's shutdown afterwards is a no-op.
    await db.destroy();
    await database.db.onApplicationShutdown();
  }, 30_000);
});

describe('Kysely transactions on DbService.pool', () => {
  it('run every statement on one backend and roll back when the callback throws', async () => {
    const role = await createTestRole(server, 'kysely');
    const service = await DbService.create({ dsn: role.dsn });
    const db = kyselyOn(service.pool);
    await CREATE_NOTES.execute(db);
    const pids: number[] = [];
    await expect(
      db.transaction().execute(async (trx) => {
        pids.push(await backendPid(trx));
        await trx.insertInto('notes').values({ worker: 99, body: 'rolled back' }).execute();
        pids.push(await backendPid(trx));
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect(new Set(pids).size).toBe(1);
    expect(await db.selectFrom('notes').selectAll().where('worker', '=', 99).execute()).toEqual([]);
    expect(service.stats().inUse).toBe(0);
    // The module's shutdown first, then Kysely's destroy(): both end cleanly.
    await service.onApplicationShutdown();
    await db.destroy();
  });
});

describe('Kysely in a Nest app', () => {
  it('is built from @InjectPgPool’s token and shuts down with the app', async () => {
    const role = await createTestRole(server, 'kysely_nest');
    const { app, orm } = await bootWithPoolProvider(role.dsn, 'KYSELY', kyselyOn);
    expect((await sql<{ who: string }>`SELECT current_user AS who`.execute(orm)).rows[0]!.who).toBe(role.username);
    await orm.destroy();
    await app.close();
  });
});

import knex, { type Knex } from 'knex';
import type { Pool } from 'pg';
import { DbService } from '../../src/index.js';
import { startTestPostgres, type TestPostgres } from '../../src/testing/index.js';
import { bootWithPoolProvider, createRotatingDatabase, expectNoFailedOperations, type RotationKind, runThroughRotations } from '../support/orm-rotation.js';
import { createTestRole } from '../support/roles.js';

const CREATE_NOTES = 'CREATE TABLE notes (id serial PRIMARY KEY, worker int NOT NULL, body text NOT NULL)';

let server: TestPostgres;
beforeAll(async () => {
  server = await startTestPostgres();
});
afterAll(() => server.stop());

/** Knex 3.3's `connectionPool`: it borrows clients from the pool instead of building its own. */
function knexOn(pool: Pool): Knex {
  return knex({ client: 'pg', connectionPool: pool });
}

async function backendPid(db: Knex | Knex.Transaction): Promise<number> {
  const { rows } = await db.raw<{ rows: { pid: number }[] }>('SELECT pg_backend_pid() AS pid');
  return rows[0]!.pid;
}

describe.each<RotationKind>(['password', 'username'])('Knex on DbService.pool through a %s rotation', (kind) => {
  it('fails no insert, select or transaction, and each transaction stays on one backend', async () => {
    const database = await createRotatingDatabase(server, kind);
    const db = knexOn(database.db.pool);
    await db.raw(CREATE_NOTES);
    const run = await runThroughRotations(database, async (worker) => {
      await db('notes').insert({ worker, body: 'plain' });
      await db.transaction(async (trx) => {
        const before = await backendPid(trx);
        await trx('notes').insert({ worker, body: 'in a transaction' });
        if ((await backendPid(trx)) !== before) throw new Error('transaction moved between backends');
      });
      await db('notes').where({ worker }).limit(5);
    });
    expectNoFailedOperations(run);
    await db.destroy();
    await database.db.onApplicationShutdown();
  }, 30_000);
});

describe('Knex transactions on DbService.pool', () => {
  it('run every statement on one backend and roll back when the callback throws', async () => {
    const role = await createTestRole(server, 'knex');
    const service = await DbService.create({ dsn: role.dsn });
    const db = knexOn(service.pool);
    await db.raw(CREATE_NOTES);
    const pids: number[] = [];
    await expect(
      db.transaction(async (trx) => {
        pids.push(await backendPid(trx));
        await trx('notes').insert({ worker: 99, body: 'rolled back' });
        pids.push(await backendPid(trx));
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect(new Set(pids).size).toBe(1);
    expect(await db('notes').where({ worker: 99 })).toEqual([]);
    expect(service.stats().inUse).toBe(0);
    // The module's shutdown first, then Knex's destroy (which leaves a pool it was given alone).
    await service.onApplicationShutdown();
    await db.destroy();
  });
});

describe('Knex in a Nest app', () => {
  it('is built from @InjectPgPool’s token and shuts down with the app', async () => {
    const role = await createTestRole(server, 'knex_nest');
    const { app, orm } = await bootWithPoolProvider(role.dsn, 'KNEX', knexOn);
    expect((await orm.raw<{ rows: { who: string }[] }>('SELECT current_user AS who')).rows[0]!.who).toBe(role.username);
    await orm.destroy();
    await app.close();
  });
});

import { eq, sql } from 'drizzle-orm';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import { integer, pgTable, serial, text } from 'drizzle-orm/pg-core';
import type { Pool } from 'pg';
import { DbService } from '../../src/index.js';
import { startTestPostgres, type TestPostgres } from '../../src/testing/index.js';
import { bootWithPoolProvider, createRotatingDatabase, expectNoFailedOperations, type RotationKind, runThroughRotations } from '../support/orm-rotation.js';
import { createTestRole } from '../support/roles.js';

const notes = pgTable('notes', { id: serial('id').primaryKey(), worker: integer('worker').notNull(), body: text('body').notNull() });
const CREATE_NOTES = 'CREATE TABLE notes (id serial PRIMARY KEY, worker int NOT NULL, body text NOT NULL)';

let server: TestPostgres;
beforeAll(async () => {
  server = await startTestPostgres();
});
afterAll(() => server.stop());

async function backendPid(db: NodePgDatabase): Promise<number> {
  const { rows } = await db.execute<{ pid: number }>(sql`SELECT pg_backend_pid() AS pid`);
  return rows[0]!.pid;
}

describe.each<RotationKind>(['password', 'username'])('Drizzle on DbService.pool through a %s rotation', (kind) => {
  it('fails no insert, select or transaction, and each transaction stays on one backend', async () => {
    const database = await createRotatingDatabase(server, kind);
    const db = drizzle({ client: database.db.pool });
    await db.execute(sql.raw(CREATE_NOTES));
    const run = await runThroughRotations(database, async (worker) => {
      await db.insert(notes).values({ worker, body: 'plain' });
      await db.transaction(async (tx) => {
        const before = await backendPid(tx);
        await tx.insert(notes).values({ worker, body: 'in a transaction' });
        if ((await backendPid(tx)) !== before) throw new Error('transaction moved between backends');
      });
      await db.select().from(notes).where(eq(notes.worker, worker)).limit(5);
    });
    expectNoFailedOperations(run);
    await database.db.onApplicationShutdown();
  }, 30_000);
});

describe('Drizzle transactions on DbService.pool', () => {
  let service: DbService;
  let db: NodePgDatabase;
  beforeAll(async () => {
    const role = await createTestRole(server, 'drizzle');
    service = await DbService.create({ dsn: role.dsn });
    db = drizzle({ client: service.pool });
    await db.execute(sql.raw(CREATE_NOTES));
  });
  afterAll(() => service.onApplicationShutdown());

  it('run every statement on one backend and roll back when the callback throws', async () => {
    const pids: number[] = [];
    await expect(
      db.transaction(async (tx) => {
        pids.push(await backendPid(tx));
        await tx.insert(notes).values({ worker: 99, body: 'rolled back' });
        pids.push(await backendPid(tx));
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect(new Set(pids).size).toBe(1);
    expect(await db.select().from(notes).where(eq(notes.worker, 99))).toEqual([]);
    expect(service.stats().inUse).toBe(0);
  });
});

describe('Drizzle in a Nest app', () => {
  it('is built from @InjectPgPool’s token and shuts down with the app', async () => {
    const role = await createTestRole(server, 'drizzle_nest');
    const { app, orm } = await bootWithPoolProvider(role.dsn, 'DRIZZLE', (pool: Pool) => drizzle({ client: pool }));
    const { rows } = await orm.execute<{ who: string }>(sql`SELECT current_user AS who`);
    expect(rows[0]!.who).toBe(role.username);
    await app.close();
  });
});

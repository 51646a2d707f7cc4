import { createPostgreSqlTypeParsers, EntitySchema, MikroORM } from '@mikro-orm/postgresql';
import { PostgresDialect } from 'kysely';
import pg, { type Pool } from 'pg';
import postgresArray from 'postgres-array';
import { DbService } from '../../src/index.js';
import { startTestPostgres, type TestPostgres } from '../../src/testing/index.js';
import { bootWithPoolProvider, createRotatingDatabase, expectNoFailedOperations, type RotationKind, runThroughRotations } from '../support/orm-rotation.js';
import { createTestRole } from '../support/roles.js';

interface Note {
  id: number;
  worker: number;
  body: string;
  createdAt?: Date;
}

const NoteSchema = new EntitySchema<Note>({
  name: 'Note',
  tableName: 'notes',
  properties: {
    id: { type: 'number', primary: true, autoincrement: true },
    worker: { type: 'number' },
    body: { type: 'string' },
    createdAt: { type: 'Date', onCreate: () => new Date() },
  },
});

/**
 * MikroORM 7 takes a Kysely dialect in `driverOptions`, and Kysely's PostgresDialect takes a
 * pg.Pool: the rotating pool goes there. MikroORM would also set its own type parsers on a pool it
 * built (dates, timestamps and intervals as text); on ours they are the connection's `types`.
 */
async function mikroOrmOn(pool: Pool): Promise<MikroORM> {
  return MikroORM.init({ entities: [NoteSchema], dbName: pool.options.database, driverOptions: new PostgresDialect({ pool }) });
}

function mikroOrmTypes(): pg.CustomTypesConfig {
  const types = new pg.TypeOverrides();
  for (const [oid, parse] of Object.entries(createPostgreSqlTypeParsers((text: string) => postgresArray.parse(text)))) {
    types.setTypeParser(Number(oid), parse as (value: string) => unknown);
  }
  return types;
}

let server: TestPostgres;
beforeAll(async () => {
  server = await startTestPostgres();
});
afterAll(() => server.stop());

async function backendPid(em: { execute(sql: string): Promise<unknown> }): Promise<number> {
  const rows = (await em.execute('SELECT pg_backend_pid() AS pid')) as { pid: number }[];
  return rows[0]!.pid;
}

describe.each<RotationKind>(['password', 'username'])('MikroORM on DbService.pool through a %s rotation', (kind) => {
  it('fails no persist, find or transaction, and each transaction stays on one backend', async () => {
    const database = await createRotatingDatabase(server, kind);
    const orm = await mikroOrmOn(database.db.pool);
    await orm.schema.create();
    const run = await runThroughRotations(database, async (worker) => {
      const em = orm.em.fork();
      em.create(NoteSchema, { worker, body: 'plain' });
      await em.flush();
      await em.transactional(async (tx) => {
        const before = await backendPid(tx);
        tx.create(NoteSchema, { worker, body: 'in a transaction' });
        await tx.flush();
        if ((await backendPid(tx)) !== before) throw new Error('transaction moved between backends');
      });
      await orm.em.fork().find(NoteSchema, { worker }, { limit: 5 });
    });
    expectNoFailedOperations(run);
    await orm.close();
    await database.db.onApplicationShutdown();
  }, 30_000);
});

describe('MikroORM transactions on DbService.pool', () => {
  it('run every statement on one backend, roll back when the callback throws, and read dates with MikroORM’s parsers', async () => {
    const role = await createTestRole(server, 'mikro');
    const service = await DbService.create({ dsn: role.dsn, types: mikroOrmTypes() });
    const orm = await mikroOrmOn(service.pool);
    await orm.schema.create();
    const pids: number[] = [];
    await expect(
      orm.em.fork().transactional(async (tx) => {
        pids.push(await backendPid(tx));
        tx.create(NoteSchema, { worker: 99, body: 'rolled back' });
        await tx.flush();
        pids.push(await backendPid(tx));
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect(new Set(pids).size).toBe(1);
    expect(await orm.em.fork().find(NoteSchema, { worker: 99 })).toEqual([]);
    const em = orm.em.fork();
    em.create(NoteSchema, { worker: 1, body: 'dated' });
    await em.flush();
    const [note] = await orm.em.fork().find(NoteSchema, { worker: 1 });
    expect(note!.createdAt).toBeInstanceOf(Date);
    expect(service.stats().inUse).toBe(0);
    // The module's shutdown first, then MikroORM's close: both end cleanly.
    await service.onApplicationShutdown();
    await orm.close();
  });
});

describe('MikroORM in a Nest app', () => {
  it('is built from @InjectPgPool’s token and shuts down with the app', async () => {
    const role = await createTestRole(server, 'mikro_nest');
    const { app, orm } = await bootWithPoolProvider(role.dsn, 'MIKRO_ORM', mikroOrmOn);
    const rows = (await (await orm).em.fork().execute('SELECT current_user AS who')) as { who: string }[];
    expect(rows[0]!.who).toBe(role.username);
    await (await orm).close();
    await app.close();
  });
});

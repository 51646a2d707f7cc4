import { PrismaPg } from '@prisma/adapter-pg';
import { readReplicas } from '@prisma/extension-read-replicas';
import { eq, sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import { withReplicas } from 'drizzle-orm/pg-core';
import { DataSource, type QueryRunner } from 'typeorm';
import { typeOrmDriver, typeOrmReplication } from '../../src/index.js';
import { startTestPostgres, type TestPostgres } from '../../src/testing/index.js';
import { expectNoFailedOperations, runThroughRotations } from '../support/orm-rotation.js';
import {
  closeReplicatedDatabase,
  createReplicatedDatabase,
  expectBothRecovered,
  type ReplicatedDatabase,
  WRITER_ONLY_WORKER,
} from '../support/read-replica.js';
import { CREATE_NOTES, drizzleNotes, TypeOrmNote } from './orm-adapters.js';
import { PrismaClient } from './prisma/generated/client.js';

/**
 * Issue 23: the ORMs that route reads to a replica, each over two connections' `DbService.pool`,
 * the writer's (the default connection) and the reader's (a second named connection). The
 * "replica" is the same server reached as a role that may only read, so a write routed to it
 * fails, and a row-level policy hides one row from it, so a read through the ORM's own API shows
 * which connection served it. Both connections' passwords rotate during each run.
 */
let server: TestPostgres;
beforeAll(async () => {
  server = await startTestPostgres();
});
afterAll(() => server.stop());

/** Throws (a failed operation of the run) unless the read found what the connection it was meant for sees. */
function expectServedBy(connection: 'reader' | 'writer', writerOnlyRows: number): void {
  const expected = connection === 'reader' ? 0 : 1;
  if (writerOnlyRows !== expected) throw new Error(`a read meant for the ${connection} was served by the other`);
}

async function replicatedNotes(): Promise<ReplicatedDatabase> {
  const database = await createReplicatedDatabase(server);
  await database.db.query(CREATE_NOTES);
  await database.shareNotesWithReader();
  return database;
}

describe('Prisma with @prisma/extension-read-replicas over the writer’s and the reader’s DbService.pool', () => {
  it('reads go to the reader, writes, transactions and $primary() to the writer, through rotations on each: no failed query', async () => {
    const database = await replicatedNotes();
    const primary = new PrismaClient({ adapter: new PrismaPg(database.db.pool) });
    const replica = new PrismaClient({ adapter: new PrismaPg(database.reader.pool) });
    const prisma = primary.$extends(readReplicas({ replicas: [replica] }));
    const who = async (client: { $queryRaw: PrismaClient['$queryRaw'] }) =>
      (await client.$queryRaw<{ who: string }[]>`SELECT current_user AS who`)[0]!.who;

    expect(await who(prisma.$replica())).toBe(database.readerUser);
    expect(await who(prisma.$primary())).toBe(database.owner.username);
    // Raw SQL may write: the extension sends it to the primary unless told.
    expect(await who(prisma)).toBe(database.owner.username);
    await expect(replica.note.create({ data: { worker: 1, body: 'to the reader' } })).rejects.toThrow(
      /permission denied/,
    );

    const run = await runThroughRotations(database, async (worker) => {
      await prisma.note.create({ data: { worker, body: 'plain' } });
      await prisma.$transaction(async (tx) => tx.note.create({ data: { worker, body: 'in a transaction' } }));
      expectServedBy('reader', (await prisma.note.findMany({ where: { worker: WRITER_ONLY_WORKER } })).length);
      expectServedBy('writer', await prisma.$primary().note.count({ where: { worker: WRITER_ONLY_WORKER } }));
    });
    expectNoFailedOperations(run);
    expectBothRecovered(database);
    await prisma.$disconnect();
    await replica.$disconnect();
    await closeReplicatedDatabase(database);
  }, 60_000);
});

describe('Drizzle withReplicas over the writer’s and the reader’s DbService.pool', () => {
  it('select goes to the reader, insert, transaction, execute and $primary to the writer, through rotations on each: no failed query', async () => {
    const database = await replicatedNotes();
    const replica = drizzle({ client: database.reader.pool });
    const db = withReplicas(drizzle({ client: database.db.pool }), [replica]);
    const whoSelects = async (source: Pick<typeof db, 'select'>) =>
      (
        await source
          .select({ who: sql<string>`current_user` })
          .from(drizzleNotes)
          .limit(1)
      )[0]!.who;

    // A row both may see, for a select with a FROM to return current_user on.
    await db.insert(drizzleNotes).values({ worker: 0, body: 'seen by both' });
    expect(await whoSelects(db)).toBe(database.readerUser);
    expect(await whoSelects(db.$primary)).toBe(database.owner.username);
    expect((await db.execute<{ who: string }>(sql`SELECT current_user AS who`)).rows[0]!.who).toBe(
      database.owner.username,
    );
    // Drizzle wraps the database's error: insufficient_privilege is its cause.
    await expect(replica.insert(drizzleNotes).values({ worker: 1, body: 'to the reader' })).rejects.toMatchObject({
      cause: { code: '42501' },
    });

    const writerOnly = eq(drizzleNotes.worker, WRITER_ONLY_WORKER);
    const run = await runThroughRotations(database, async (worker) => {
      await db.insert(drizzleNotes).values({ worker, body: 'plain' });
      await db.transaction((tx) => tx.insert(drizzleNotes).values({ worker, body: 'in a transaction' }));
      expectServedBy('reader', (await db.select().from(drizzleNotes).where(writerOnly)).length);
      expectServedBy('writer', (await db.$primary.select().from(drizzleNotes).where(writerOnly)).length);
    });
    expectNoFailedOperations(run);
    expectBothRecovered(database);
    await closeReplicatedDatabase(database);
  }, 60_000);
});

describe('TypeORM replication over the writer’s and the reader’s DbService.pool (typeOrmReplication)', () => {
  it('find goes to the reader, save, transactions, query() and the master query runner to the writer, through rotations on each: no failed query', async () => {
    const database = await createReplicatedDatabase(server);
    const dataSource = await new DataSource({
      type: 'postgres',
      ...typeOrmReplication({ master: database.db.pool, slaves: [database.reader.pool] }),
      entities: [TypeOrmNote],
      // Schema changes run on the master.
      synchronize: true,
    }).initialize();
    await database.shareNotesWithReader();
    const notes = dataSource.getRepository(TypeOrmNote);
    /** Runs `work` on a query runner of the given replication mode (TypeORM's way to pick one). */
    async function on<T>(mode: 'master' | 'slave', work: (runner: QueryRunner) => Promise<T>): Promise<T> {
      const runner = dataSource.createQueryRunner(mode);
      try {
        return await work(runner);
      } finally {
        await runner.release();
      }
    }
    const who = async (runner?: QueryRunner) =>
      (await dataSource.query<{ who: string }[]>('SELECT current_user AS who', [], runner))[0]!.who;

    // Raw query() may write: TypeORM runs it on the master unless given a slave's query runner.
    expect(await who()).toBe(database.owner.username);
    expect(await on('slave', who)).toBe(database.readerUser);
    await expect(
      on('slave', (runner) => runner.query('INSERT INTO notes (worker, body) VALUES (1, $1)', ['to the reader'])),
    ).rejects.toMatchObject({ driverError: { code: '42501' } });

    const writerOnly = { worker: WRITER_ONLY_WORKER };
    const run = await runThroughRotations(database, async (worker) => {
      await notes.save({ worker, body: 'plain' });
      await dataSource.transaction((manager) => manager.save(TypeOrmNote, { worker, body: 'in a transaction' }));
      expectServedBy('reader', (await notes.findBy(writerOnly)).length);
      expectServedBy('writer', await on('master', (runner) => runner.manager.countBy(TypeOrmNote, writerOnly)));
    });
    expectNoFailedOperations(run);
    expectBothRecovered(database);
    // TypeORM ends the pools it was given; the module's own shutdown is then a no-op.
    await dataSource.destroy();
    await closeReplicatedDatabase(database);
  }, 60_000);

  it('negative control: typeOrmDriver(pool) with TypeORM’s own replication settings sends every query to that one pool', async () => {
    const database = await createReplicatedDatabase(server);
    const dataSource = await new DataSource({
      type: 'postgres',
      driver: typeOrmDriver(database.db.pool),
      replication: { master: { host: 'writer.example' }, slaves: [{ host: 'reader.example' }] },
      entities: [TypeOrmNote],
    }).initialize();
    expect((await dataSource.query<{ who: string }[]>('SELECT current_user AS who'))[0]!.who).toBe(
      database.owner.username,
    );
    await dataSource.destroy();
    await closeReplicatedDatabase(database);
  });
});

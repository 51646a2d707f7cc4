import { Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { InjectRepository, TypeOrmModule } from '@nestjs/typeorm';
import type { Pool } from 'pg';
import { Column, DataSource, Entity, type EntityManager, PrimaryGeneratedColumn, type Repository } from 'typeorm';
import { DatabaseModule, DbService, getPgPoolToken, typeOrmDriver } from '../../src/index.js';
import { startTestPostgres, type TestPostgres } from '../../src/testing/index.js';
import { createRotatingDatabase, expectNoFailedOperations, type RotationKind, runThroughRotations } from '../support/orm-rotation.js';
import { createTestRole } from '../support/roles.js';

@Entity({ name: 'notes' })
class Note {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column('int')
  worker!: number;

  @Column('text')
  body!: string;
}

let server: TestPostgres;
beforeAll(async () => {
  server = await startTestPostgres();
});
afterAll(() => server.stop());

/** TypeORM on the connection's pool: no credentials in its options, the module owns them. */
function dataSourceOn(pool: Pool): DataSource {
  return new DataSource({ type: 'postgres', driver: typeOrmDriver(pool), entities: [Note], synchronize: true });
}

async function backendPid(manager: EntityManager): Promise<number> {
  const rows: { pid: number }[] = await manager.query('SELECT pg_backend_pid() AS pid');
  return rows[0]!.pid;
}

describe.each<RotationKind>(['password', 'username'])('TypeORM on DbService.pool through a %s rotation', (kind) => {
  it('fails no save, find or transaction, and each transaction stays on one backend', async () => {
    const database = await createRotatingDatabase(server, kind);
    const dataSource = await dataSourceOn(database.db.pool).initialize();
    const notes = dataSource.getRepository(Note);
    const run = await runThroughRotations(database, async (worker) => {
      await notes.save({ worker, body: 'plain' });
      await dataSource.transaction(async (manager) => {
        const before = await backendPid(manager);
        await manager.save(Note, { worker, body: 'in a transaction' });
        if ((await backendPid(manager)) !== before) throw new Error('transaction moved between backends');
      });
      await notes.find({ where: { worker }, take: 5 });
    });
    expectNoFailedOperations(run);
    // TypeORM's destroy() ends the pool; the module's shutdown afterwards is a no-op.
    await dataSource.destroy();
    await database.db.onApplicationShutdown();
  }, 30_000);
});

describe('TypeORM transactions on DbService.pool', () => {
  it('run every statement on one backend and roll back when the callback throws', async () => {
    const role = await createTestRole(server, 'typeorm');
    const service = await DbService.create({ dsn: role.dsn });
    const dataSource = await dataSourceOn(service.pool).initialize();
    const pids: number[] = [];
    await expect(
      dataSource.transaction(async (manager) => {
        pids.push(await backendPid(manager));
        await manager.save(Note, { worker: 99, body: 'rolled back' });
        pids.push(await backendPid(manager));
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect(new Set(pids).size).toBe(1);
    expect(await dataSource.getRepository(Note).findBy({ worker: 99 })).toEqual([]);
    expect(service.stats().inUse).toBe(0);
    // The module's shutdown first, then TypeORM's destroy: both end cleanly.
    await service.onApplicationShutdown();
    await dataSource.destroy();
  });

  it('refuses a driver built from something other than a pg.Pool, saying what to pass', () => {
    expect(() => typeOrmDriver({} as Pool)).toThrow(/@InjectPgPool\(\)/);
  });
});

@Injectable()
class NotesService {
  constructor(@InjectRepository(Note) readonly notes: Repository<Note>) {}
}

describe('TypeORM in a Nest app', () => {
  it('TypeOrmModule.forRootAsync runs on the rotating pool and shuts down with the app', async () => {
    const role = await createTestRole(server, 'typeorm_nest');
    @Module({ imports: [TypeOrmModule.forFeature([Note])], providers: [NotesService], exports: [NotesService] })
    class NotesModule {}
    const app = await Test.createTestingModule({
      imports: [
        DatabaseModule.forRoot({ dsn: role.dsn, isGlobal: true }),
        TypeOrmModule.forRootAsync({
          inject: [getPgPoolToken()],
          useFactory: (pool: Pool) => ({ type: 'postgres', driver: typeOrmDriver(pool), entities: [Note], synchronize: true }),
        }),
        NotesModule,
      ],
    }).compile();
    await app.init();
    const { notes } = app.get(NotesService);
    await notes.save({ worker: 1, body: 'through Nest' });
    expect(await notes.findBy({ worker: 1 })).toMatchObject([{ body: 'through Nest' }]);
    const db = app.get(DbService);
    expect(db.stats().opened).toBeGreaterThan(0);
    expect((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM notes')).rows[0]!.n).toBe(1);
    await app.close();
  });
});

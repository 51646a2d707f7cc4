import { Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { InjectRepository, TypeOrmModule } from '@nestjs/typeorm';
import type { Pool } from 'pg';
import type { Repository } from 'typeorm';
import { DataSource } from 'typeorm';
import {
  DatabaseModule,
  DbService,
  getDbServiceToken,
  getPgPoolToken,
  typeOrmDriver,
  typeOrmReplication,
} from '../../src/index.js';
import { startTestPostgres, type TestPostgres } from '../../src/testing/index.js';
import { createTestRole } from '../support/roles.js';
import { TypeOrmNote as Note } from './orm-adapters.js';

/**
 * What TypeORM alone has: `@nestjs/typeorm`'s module wired to the connection's pool, and the
 * driver's check of what it is given. Rotations, transactions and the plain Nest wiring are in
 * orm.e2e.spec.ts with the other libraries.
 */
let server: TestPostgres;
beforeAll(async () => {
  server = await startTestPostgres();
});
afterAll(() => server.stop());

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
          useFactory: (pool: Pool) => ({
            type: 'postgres',
            driver: typeOrmDriver(pool),
            entities: [Note],
            synchronize: true,
          }),
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

describe('TypeORM replication in a Nest app', () => {
  it('TypeOrmModule.forRootAsync with typeOrmReplication over the default and a reader connection reads on the reader', async () => {
    const role = await createTestRole(server, 'typeorm_replicas');
    @Module({ imports: [TypeOrmModule.forFeature([Note])], providers: [NotesService], exports: [NotesService] })
    class NotesModule {}
    const app = await Test.createTestingModule({
      imports: [
        DatabaseModule.forRoot({ dsn: role.dsn, isGlobal: true }),
        DatabaseModule.forRoot({ name: 'reader', dsn: role.dsn, isGlobal: true }),
        TypeOrmModule.forRootAsync({
          inject: [getPgPoolToken(), getPgPoolToken('reader')],
          useFactory: (writer: Pool, reader: Pool) => ({
            type: 'postgres',
            ...typeOrmReplication({ master: writer, slaves: [reader] }),
            entities: [Note],
            synchronize: true,
          }),
        }),
        NotesModule,
      ],
    }).compile();
    await app.init();
    const reader = app.get<DbService>(getDbServiceToken('reader'));
    const { notes } = app.get(NotesService);
    await notes.save({ worker: 1, body: 'through Nest' });
    const readerLogins = reader.stats().opened;
    await reader.onApplicationShutdown();
    // With the reader shut down, a find cannot be served: it was the reader's.
    await expect(notes.findBy({ worker: 1 })).rejects.toThrow(/shut down/);
    expect(readerLogins).toBeGreaterThan(0);
    await app.close();
  });
});

describe('typeOrmDriver', () => {
  it('refuses a driver built from something other than a pg.Pool, saying what to pass', () => {
    expect(() => typeOrmDriver({} as Pool)).toThrow(/@InjectPgPool\(\)/);
  });

  it('typeOrmReplication refuses something other than pg.Pools, and replication settings other than its own', async () => {
    const service = await DbService.create({ dsn: (await createTestRole(server, 'typeorm_labels')).dsn });
    expect(() => typeOrmReplication({ master: service.pool, slaves: [{} as Pool] })).toThrow(/getPgPoolToken\(name\)/);
    const { driver } = typeOrmReplication({ master: service.pool, slaves: [service.pool] });
    const dataSource = new DataSource({
      type: 'postgres',
      driver,
      replication: { master: { host: 'db.example' }, slaves: [] },
    });
    await expect(dataSource.initialize()).rejects.toThrow(
      /host "db\.example".*replication settings typeOrmReplication returned/,
    );
    // An entry given as a URL: the error names no part of it, so its password stays out of logs.
    const fromUrl = new DataSource({
      type: 'postgres',
      driver,
      replication: { master: { url: 'postgresql://app:url-secret-pw@db.example/app' }, slaves: [] },
    });
    const error = await fromUrl.initialize().catch((caught: Error) => caught);
    expect((error as Error).message).toMatch(/replication settings typeOrmReplication returned/);
    expect((error as Error).message).not.toContain('url-secret-pw');
    await service.onApplicationShutdown();
  });
});

import { Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { InjectRepository, TypeOrmModule } from '@nestjs/typeorm';
import type { Pool } from 'pg';
import type { Repository } from 'typeorm';
import { DatabaseModule, DbService, getPgPoolToken, typeOrmDriver } from '../../src/index.js';
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

describe('typeOrmDriver', () => {
  it('refuses a driver built from something other than a pg.Pool, saying what to pass', () => {
    expect(() => typeOrmDriver({} as Pool)).toThrow(/@InjectPgPool\(\)/);
  });
});

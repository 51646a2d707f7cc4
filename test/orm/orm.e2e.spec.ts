import { DbService } from '../../src/index.js';
import { startTestPostgres, type TestPostgres } from '../../src/testing/index.js';
import {
  bootWithPoolProvider,
  createRotatingDatabase,
  expectNoFailedOperations,
  type RotationKind,
  runThroughRotations,
} from '../support/orm-rotation.js';
import { createTestRole } from '../support/roles.js';
import { CREATE_NOTES, ORM_ADAPTERS, type OrmAdapter } from './orm-adapters.js';

/**
 * Every library of the docs' ORM table on DbService.pool, through the same three tests: its own
 * insert, transaction and select while the credentials rotate; a transaction on one backend that
 * rolls back; and a Nest app that builds it from `@InjectPgPool()`'s token. What one library alone
 * needs is its adapter's `alsoCheck` (orm-adapters.ts) or, for TypeORM's Nest module, typeorm.e2e.spec.ts.
 */
let server: TestPostgres;
beforeAll(async () => {
  server = await startTestPostgres();
});
afterAll(() => server.stop());

// Method syntax in OrmAdapter keeps each library's own Db and Tx types checkable here.
type AnyAdapter = OrmAdapter<unknown, unknown>;
const adapters: AnyAdapter[] = [...ORM_ADAPTERS] as AnyAdapter[];
const roleName = (adapter: AnyAdapter) => adapter.name.replace(/[^a-z]/gi, '').toLowerCase();

async function createNotes(adapter: AnyAdapter, db: unknown, service: DbService): Promise<void> {
  if (adapter.createNotes) await adapter.createNotes(db);
  else await service.query(CREATE_NOTES);
}

const rotations = adapters.flatMap((adapter) =>
  (['password', 'username'] as RotationKind[]).map((kind) => ({ adapter, kind, name: adapter.name })),
);

describe.each(rotations)('$name on DbService.pool through a $kind rotation', ({ adapter, kind }) => {
  it(`fails no ${adapter.operations}, and each transaction stays on one backend`, async () => {
    const database = await createRotatingDatabase(server, kind);
    const db = await adapter.open(database.db.pool);
    await createNotes(adapter, db, database.db);
    const run = await runThroughRotations(database, async (worker) => {
      await adapter.insert(db, worker, 'plain');
      await adapter.transaction(db, async (tx) => {
        const before = await adapter.backendPid(tx);
        await adapter.insert(tx, worker, 'in a transaction');
        if ((await adapter.backendPid(tx)) !== before) throw new Error('transaction moved between backends');
      });
      await adapter.find(db, worker);
    });
    expectNoFailedOperations(run);
    if (kind === 'username') expect(database.db.stats().rotationClosed).toBeGreaterThan(0);
    else expect(database.db.stats().authRecoveries).toBeGreaterThan(0);
    // The library's shutdown first: one that ends the pool it was given leaves the module's a no-op.
    await adapter.close(db);
    await database.db.onApplicationShutdown();
  }, 30_000);
});

describe.each(adapters.map((adapter) => ({ adapter, name: adapter.name })))(
  '$name transactions on DbService.pool',
  ({ adapter }) => {
    it('run every statement on one backend and roll back when the callback throws', async () => {
      const role = await createTestRole(server, roleName(adapter));
      const service = await DbService.create({ dsn: role.dsn, ...adapter.poolOptions });
      const db = await adapter.open(service.pool);
      await createNotes(adapter, db, service);
      const pids: number[] = [];
      await expect(
        adapter.transaction(db, async (tx) => {
          pids.push(await adapter.backendPid(tx));
          await adapter.insert(tx, 99, 'rolled back');
          pids.push(await adapter.backendPid(tx));
          throw new Error('abort');
        }),
      ).rejects.toThrow('abort');
      expect(new Set(pids).size).toBe(1);
      expect(await adapter.find(db, 99)).toEqual([]);
      await adapter.alsoCheck?.(db);
      expect(service.stats().inUse).toBe(0);
      // The module's shutdown first, then the library's: both end cleanly in this order too.
      await service.onApplicationShutdown();
      await adapter.close(db);
    });
  },
);

describe.each(adapters.map((adapter) => ({ adapter, name: adapter.name })))('$name in a Nest app', ({ adapter }) => {
  it('is built from @InjectPgPool’s token and shuts down with the app', async () => {
    const role = await createTestRole(server, `${roleName(adapter)}_nest`);
    const { app, orm } = await bootWithPoolProvider(role.dsn, 'ORM', (pool) => adapter.open(pool));
    // Nest awaits an async factory: the provider is the library's handle itself.
    const db = await orm;
    expect(await adapter.currentUser(db)).toBe(role.username);
    await adapter.close(db);
    await app.close();
  });
});

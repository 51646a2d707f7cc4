import { startTestPostgres, type TestPostgres } from '../../src/testing/index.js';
import { createRotatingDatabase, expectNoFailedOperations, type RotationKind, runThroughRotations } from '../support/orm-rotation.js';

let server: TestPostgres;
beforeAll(async () => {
  server = await startTestPostgres();
});
afterAll(() => server.stop());

/** The baseline the ORM specs build on: pg.Pool's own calls through both kinds of rotation. */
describe.each<RotationKind>(['password', 'username'])('DbService.pool through a %s rotation', (kind) => {
  it('fails no query or transaction, and a transaction stays on one backend', async () => {
    const database = await createRotatingDatabase(server, kind);
    const { pool } = database.db;
    await pool.query('CREATE TABLE items (id serial PRIMARY KEY, worker int NOT NULL)');
    const run = await runThroughRotations(database, async (worker) => {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const first = await client.query('SELECT pg_backend_pid() AS pid');
        await client.query('INSERT INTO items (worker) VALUES ($1)', [worker]);
        const second = await client.query('SELECT pg_backend_pid() AS pid');
        await client.query('COMMIT');
        if (first.rows[0].pid !== second.rows[0].pid) throw new Error('transaction moved between backends');
      } finally {
        client.release();
      }
      await pool.query('SELECT count(*) FROM items WHERE worker = $1', [worker]);
    });
    expectNoFailedOperations(run);
    if (kind === 'username') expect(database.db.stats().rotationClosed).toBeGreaterThan(0);
    else expect(database.db.stats().authRecoveries).toBeGreaterThan(0);
    await database.db.onApplicationShutdown();
  }, 30_000);
});

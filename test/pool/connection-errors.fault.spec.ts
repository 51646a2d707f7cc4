import { DatabaseConnectionError, DbService } from '../../src/index.js';
import { freePort } from '../../src/testing/index.js';
import { eventually } from '../support/load.js';
import { useTestDatabase } from '../support/roles.js';

const database = useTestDatabase('conn');

/** Connection failures that no credentials cure reach the caller typed, with the fix, and with pg's or Node's code. */
describe('connection errors users can act on', () => {
  it('a server that is not there (down, restarting): DatabaseConnectionError with ECONNREFUSED, the address and the fix', async () => {
    const port = await freePort();
    const db = await DbService.create({
      dsn: `postgresql://app:distinctive-pw-4711@127.0.0.1:${port}/app`,
      connectionTimeout: '5s',
    });
    const error = (await db.query('SELECT 1').catch((caught: unknown) => caught)) as DatabaseConnectionError;
    await db.onApplicationShutdown();

    expect(error).toBeInstanceOf(DatabaseConnectionError);
    expect(error.code).toBe('ECONNREFUSED');
    expect(error.message).toContain(`127.0.0.1:${port} as user "app"`);
    expect(error.message).toMatch(/that the server is running/);
    expect((error.cause as { code?: string }).code).toBe('ECONNREFUSED');
    expect(`${error.message} ${error.stack}`).not.toContain('distinctive-pw-4711');
    // Not a timeout: it failed at once, without waiting for connectionTimeout.
    expect(db.stats().connectionTimeouts).toBe(0);
  });

  it("a database that does not exist: DatabaseConnectionError with the server's SQLSTATE and message", async () => {
    const { role, server } = database;
    const db = await DbService.create({
      host: server.host,
      port: server.port,
      user: role.username,
      password: role.password,
      database: 'no_such_database',
    });
    const error = (await db.query('SELECT 1').catch((caught: unknown) => caught)) as DatabaseConnectionError;
    await db.onApplicationShutdown();

    expect(error).toBeInstanceOf(DatabaseConnectionError);
    expect(error.code).toBe('3D000');
    expect(error.message).toMatch(/database "no_such_database" does not exist\. The server refused the session/);
    expect(error.message).not.toContain(role.password);
    expect(db.stats().authFailures).toBe(0);
  });

  it('a pool ended while checkouts were on their way or queued: DatabasePoolClosedError, not a timeout or pg-pool\'s "Cannot use a pool after calling end"', async () => {
    // pg-pool leaves queued checkouts of an ended pool to their connection timeout: keep it short.
    const db = await DbService.create({ dsn: database.role.dsn, connectionTimeout: '1s' });
    const racing = Array.from({ length: 20 }, () =>
      db.query('SELECT pg_sleep(0.01)').catch((caught: unknown) => caught),
    );
    await db.onApplicationShutdown();
    const errors = (await Promise.all(racing)).filter((outcome) => outcome instanceof Error);
    // Ten run on the ten connections; the rest were queued behind them when the pool ended.
    expect(errors.length).toBeGreaterThan(0);
    expect(new Set(errors.map((error) => error.name))).toEqual(new Set(['DatabasePoolClosedError']));
  });

  it('checkouts queued behind a busy pool when it ends fail at once with DatabasePoolClosedError, not when connectionTimeout runs out', async () => {
    const db = await DbService.create({
      dsn: database.role.dsn,
      maxOpenConnections: 1,
      maxIdleConnections: 1,
      connectionTimeout: '60s',
    });
    let giveBack: (() => void) | undefined;
    const holding = db.withClient(() => new Promise<void>((resolve) => (giveBack = resolve)));
    await eventually('the one connection to be held', () => giveBack !== undefined, 5_000);
    const queued = Array.from({ length: 3 }, () => db.query('SELECT 1').catch((caught: unknown) => caught as Error));
    await eventually('three checkouts to queue', () => db.stats().waiting === 3, 5_000);
    const ending = db.onApplicationShutdown();
    // The only connection is still held, and their timeout is a
    // minute away: without being told, they would wait it out.
    const errors = await Promise.all(queued);
    expect(errors.map((error) => (error as Error).name)).toEqual([
      'DatabasePoolClosedError',
      'DatabasePoolClosedError',
      'DatabasePoolClosedError',
    ]);
    expect(db.stats().connectionTimeouts).toBe(0);
    giveBack!();
    await holding;
    await ending;
  }, 20_000);
});

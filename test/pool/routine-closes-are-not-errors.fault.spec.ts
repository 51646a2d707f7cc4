import pg from 'pg';
import { type DatabaseModuleOptions, type DatabaseStats, DbService } from '../../src/index.js';
import { captureNestLog } from '../support/captured-log.js';
import { eventually } from '../support/load.js';
import { SwitchableProvider } from '../support/providers.js';
import { createTestRole, newPassword, useTestDatabase } from '../support/roles.js';
import { ServerView } from '../support/server-view.js';

/**
 * Issue 19, defect 2: TypeORM logs "Postgres pool raised an error" for every 'error' on the pool
 * it is given, MikroORM warns, Prisma's adapter calls onPoolError, and some apps restart on it.
 * So DbService.pool emits 'error' for real failures only: never for a connection the pool itself
 * retires (lifetime, idle time, surplus idle, rotation, shutdown). Each test waits until the
 * server no longer has the closed connection's backend, so the close has fully happened.
 */
const database = useTestDatabase('closes');

let view: ServerView;
let db: DbService | undefined;
beforeAll(async () => {
  view = await ServerView.open(database.server, [database.role.username]);
});
afterAll(() => view.close());
afterEach(async () => {
  await db?.onApplicationShutdown();
  db = undefined;
});

/** Everything DbService.pool emits as 'error', as an ORM would see it. */
function poolErrors(service: DbService): unknown[] {
  const errors: unknown[] = [];
  service.pool.on('error', (error) => errors.push(error));
  return errors;
}

async function createDb(options: Partial<DatabaseModuleOptions>): Promise<DbService> {
  db = await DbService.create({ dsn: database.role.dsn, ...options });
  return db;
}

/** Checks out `count` connections at once and returns their backends' pids, all given back healthy. */
async function backendPids(service: DbService, count: number): Promise<number[]> {
  const clients = await Promise.all(Array.from({ length: count }, () => service.pool.connect()));
  const pids = await Promise.all(
    clients.map(async (client) => (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid),
  );
  for (const client of clients) client.release();
  return pids;
}

/** Waits until the server has none of these backends, and the pool has counted `counter` closes. */
async function closedAtServer(
  service: DbService,
  pids: number[],
  counter: keyof DatabaseStats,
  closes: number,
): Promise<void> {
  await eventually(
    `the server to drop backends ${pids.join(', ')}`,
    async () => (await view.backends()).every((backend) => !pids.includes(backend.pid)),
    10_000,
  );
  await eventually(`${counter} to reach ${closes}`, () => service.stats()[counter] === closes);
}

describe('issue 19 defect 2: routine closes are not emitted as errors on DbService.pool', () => {
  it('lifetime: a connection closed at its deadline emits no error', async () => {
    const service = await createDb({ connectionMaxLifetime: '1s', connectionMaxIdleTime: '1s' });
    const errors = poolErrors(service);
    const pids = await backendPids(service, 1);
    await closedAtServer(service, pids, 'maxLifetimeClosed', 1);
    expect(errors).toEqual([]);
    expect(service.stats().errorClosed).toBe(0);
  }, 20_000);

  it('idle time: a connection unused for connectionMaxIdleTime emits no error', async () => {
    const service = await createDb({ connectionMaxIdleTime: '300ms' });
    const errors = poolErrors(service);
    const pids = await backendPids(service, 1);
    await closedAtServer(service, pids, 'maxIdleTimeClosed', 1);
    expect(errors).toEqual([]);
    expect(service.stats().errorClosed).toBe(0);
  }, 20_000);

  it('surplus idle: connections above maxIdleConnections, closed after their grace, emit no error', async () => {
    const service = await createDb({ maxOpenConnections: 4, maxIdleConnections: 1 });
    const errors = poolErrors(service);
    const pids = await backendPids(service, 4);
    await eventually('3 surplus connections closed', () => service.stats().maxIdleClosed === 3);
    await eventually('the server down to the one idle connection kept', async () => (await view.count()) === 1);
    expect(pids).toContain((await view.backends())[0]!.pid);
    expect(errors).toEqual([]);
    expect(service.stats().errorClosed).toBe(0);
  }, 20_000);

  it('rotation: the old user’s connections, idle ones at once and one in use when given back, emit no error', async () => {
    const { server } = database;
    const user = await createTestRole(server, 'rot');
    const clone = await createTestRole(server, 'rot_clone');
    const rotationView = await ServerView.open(server, [user.username, clone.username]);
    try {
      const provider = new SwitchableProvider(user.username, user.password);
      const service = await createDb({
        dsn: user.bareDsn,
        credentialProvider: provider,
        maxOpenConnections: 4,
        maxIdleConnections: 4,
      });
      const errors = poolErrors(service);
      const [busy, ...idle] = await Promise.all(Array.from({ length: 3 }, () => service.pool.connect()));
      const pidOf = async (client: pg.PoolClient) =>
        (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      const busyPid = await pidOf(busy!);
      const idlePids = await Promise.all(idle.map(pidOf));
      for (const client of idle) client.release();
      try {
        const password = newPassword();
        await rotationView.setPassword(clone.username, password);
        provider.publish({ username: clone.username, password }, 'v1');
        await service.refreshCredentials();
        await eventually('the idle ones closed', () => service.stats().rotationClosed === 2);
      } finally {
        busy!.release();
      }
      await eventually('the old user’s backends gone', async () =>
        (await rotationView.backends()).every((backend) => ![...idlePids, busyPid].includes(backend.pid)),
      );
      expect(service.stats().rotationClosed).toBe(3);
      expect((await service.query<{ user: string }>('SELECT current_user AS user')).rows[0]!.user).toBe(clone.username);
      expect(errors).toEqual([]);
      expect(service.stats().errorClosed).toBe(0);
    } finally {
      await rotationView.close();
    }
  }, 20_000);

  it('shutdown: closing every connection at app.close() emits no error', async () => {
    const service = await createDb({ maxOpenConnections: 3, maxIdleConnections: 3 });
    const errors = poolErrors(service);
    const pids = await backendPids(service, 3);
    await service.onApplicationShutdown();
    db = undefined;
    await closedAtServer(service, pids, 'shutdownClosed', 3);
    expect(errors).toEqual([]);
  }, 20_000);

  it('control: an idle connection whose backend is killed (pg_terminate_backend) is a real failure, emitted once as an error', async () => {
    const log = captureNestLog();
    const service = await createDb({});
    const errors = poolErrors(service);
    const [pid] = await backendPids(service, 1);
    await view.admin('SELECT pg_terminate_backend($1)', [pid]);
    await closedAtServer(service, [pid!], 'errorClosed', 1);
    await eventually('the error emitted', () => errors.length > 0);
    log.restore();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(pg.DatabaseError);
    expect(errors[0]).toMatchObject({ code: '57P01' });
  }, 20_000);
});

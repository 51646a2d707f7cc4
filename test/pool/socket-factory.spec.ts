import { connect, type Socket } from 'node:net';
import pg from 'pg';
import { DbService } from '../../src/index.js';
import { freePort } from '../../src/testing/index.js';
import { SwitchableProvider } from '../support/providers.js';
import { createTestRole, newPassword, setPassword, useTestDatabase } from '../support/roles.js';

const database = useTestDatabase();

/**
 * A socket factory shaped like the Cloud SQL connector's `stream`: it opens the socket itself (to the embedded server)
 * and makes pg's `connect(port, host)` a no-op, so the host and port of the options are never dialled.
 */
function socketFactory() {
  const sockets: Socket[] = [];
  const stream = () => {
    const socket = connect(database.server.port, database.server.host);
    socket.connect = () => socket;
    sockets.push(socket);
    return socket;
  };
  return { stream, sockets };
}

/** The client ports of the server's backends for these users, as pg_stat_activity shows them. */
async function backendPorts(usernames: string[]): Promise<number[]> {
  const { rows } = await database.server.admin(
    'SELECT client_port FROM pg_stat_activity WHERE usename = ANY($1::text[]) ORDER BY client_port',
    [usernames],
  );
  return rows.map((row: { client_port: number }) => row.client_port);
}

describe('stream: a socket factory for every connection (the Cloud SQL connector’s path)', () => {
  it('opens every connection through it, the ones after a username rotation too; the options’ port is never dialled', async () => {
    const user = await createTestRole(database.server, 'stream');
    const clone = await createTestRole(database.server, 'stream_clone');
    const provider = new SwitchableProvider(user.username, user.password);
    // Nothing listens on this port: a connection that bypassed the factory would fail.
    const unreachable = user.bareDsn.replace(`:${database.server.port}/`, `:${await freePort()}/`);
    const { stream, sockets } = socketFactory();
    const db = await DbService.create({
      dsn: unreachable,
      credentialProvider: provider,
      stream,
      maxOpenConnections: 3,
    });

    await db.withClient(() => Promise.all([db.query('SELECT 1'), db.query('SELECT 1')]));
    const password = newPassword();
    await setPassword(database.server, clone.username, password);
    provider.publish({ username: clone.username, password }, 'v1');
    await db.refreshCredentials();
    const { rows } = await db.query<{ who: string }>('SELECT current_user AS who');
    expect(rows[0]!.who).toBe(clone.username);

    const opened = db.stats().openConnections;
    expect(opened).toBeGreaterThan(0);
    // Each backend the server holds for these users came in through one of the factory's sockets.
    const ports = await backendPorts([user.username, clone.username]);
    const factoryPorts = sockets.map((socket) => socket.localPort);
    // The old user's backends may still be ending: at least the open ones, each from the factory.
    expect(ports.length).toBeGreaterThanOrEqual(opened);
    for (const port of ports) expect(factoryPorts).toContain(port);
    // At least one login as each user went through it.
    expect(sockets.length).toBeGreaterThanOrEqual(2);
    expect(sockets.some((socket) => !socket.destroyed)).toBe(true);
    await db.onApplicationShutdown();
  });

  it('refuses a value that is not a function, naming the key', async () => {
    const error = await DbService.create({
      dsn: 'postgresql://app:pw@127.0.0.1:5432/app',
      stream: new pg.Client() as unknown as () => never,
    }).catch((caught: unknown) => caught);
    expect((error as Error).message).toMatch(/stream: .*a function that returns a connection's socket/);
  });
});

import { createServer, type Server, type Socket } from 'node:net';
import { inspect } from 'node:util';
import { DbService } from '../../src/index.js';
import { eventually } from '../support/load.js';

/**
 * While a login is under way, pg's client holds the password (a hidden property, which `util.inspect` with
 * `showHidden` shows). The pool keeps such clients out of what inspecting the service reaches, so a log line or an
 * error reporter that dumps the service while a login hangs shows no password.
 */
describe('a login under way', () => {
  let server: Server;
  const sockets: Socket[] = [];
  let port = 0;
  beforeAll(async () => {
    // Accepts the connection and never answers the startup message: the login hangs.
    server = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  it('is not visible in util.inspect of the service, with hidden fields and getters', async () => {
    const password = 'Hidden-While-Logging-In-7f3a';
    const db = await DbService.create({
      host: '127.0.0.1',
      port,
      database: 'app',
      user: 'app',
      password,
      connectionTimeout: '10s',
    });
    const query = db.query('SELECT 1').catch((error: unknown) => error);
    await eventually('the login to reach the server', () => sockets.length === 1);
    const text = inspect(db, { showHidden: true, depth: 12, getters: true });
    expect(text).toContain('opening');
    expect(text).not.toContain(password);
    await db.onApplicationShutdown();
    await query;
  });
});

import type { Server, Socket } from 'node:net';

/**
 * A server on 127.0.0.1 for an emulator: the first `start()` takes a free port, later ones the same
 * port again (a service back at its address after an outage), and `stop()` drops the open
 * connections at once, as a crashed or unplugged service would, instead of waiting for keep-alive.
 */
export class LocalListener {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  private listenPort = 0;

  /** `create` makes a new server for each start: a closed net.Server cannot listen again. */
  constructor(private readonly create: () => Server) {}

  async start(): Promise<number> {
    const server = this.create();
    this.server = server;
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) =>
      server.once('error', reject).listen(this.listenPort, '127.0.0.1', resolve),
    );
    const address = server.address();
    this.listenPort = typeof address === 'object' && address ? address.port : 0;
    return this.listenPort;
  }

  /** The port it listens on (0 before the first start). */
  get port(): number {
    return this.listenPort;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    const server = this.server;
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }
}

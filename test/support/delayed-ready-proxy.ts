import net from 'node:net';
import { sleep } from './load.js';

/**
 * A TCP proxy in front of PostgreSQL that holds back the ReadyForQuery message following an
 * ErrorResponse by `delayMs`, everything after it waiting its turn. pg hands a query its error
 * as soon as the ErrorResponse arrives, and only ReadyForQuery says whether the session is left
 * in a transaction: on loopback both usually arrive in one read, and a pool that reads the
 * session's state at the error passes by luck. With the delay it reads the old state every time.
 */
export class DelayedReadyForQueryProxy {
  /** ReadyForQuery messages held back so far. */
  delayed = 0;
  private readonly server = net.createServer((client) => this.relay(client));
  private readonly sockets = new Set<net.Socket>();

  constructor(
    private readonly target: { host: string; port: number },
    private readonly delayMs = 5,
  ) {}

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return this;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private relay(client: net.Socket): void {
    const upstream = net.connect(this.target.port, this.target.host);
    for (const socket of [client, upstream]) {
      // Without it, Nagle's algorithm holds the ErrorResponse back until the delayed ReadyForQuery
      // goes out (the client's delayed ACK, ~40 ms), and both arrive together after all.
      socket.setNoDelay(true);
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => void writes.then(() => client.destroy()));
    client.pipe(upstream);

    // Server to client, one message at a time (type byte, then an int32 length that counts itself).
    let pending = Buffer.alloc(0);
    let afterError = false;
    let writes = Promise.resolve();
    upstream.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 5) {
        const size = 1 + pending.readInt32BE(1);
        if (pending.length < size) break;
        const message = pending.subarray(0, size);
        pending = pending.subarray(size);
        const type = String.fromCharCode(message[0]!);
        const hold = type === 'Z' && afterError;
        if (type === 'E') afterError = true;
        if (type === 'Z') afterError = false;
        if (hold) this.delayed++;
        writes = writes.then(async () => {
          if (hold) await sleep(this.delayMs);
          if (!client.destroyed) client.write(message);
        });
      }
    });
  }
}

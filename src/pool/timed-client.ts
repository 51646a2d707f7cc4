import pg from 'pg';
import { secondsSince } from './pool-timings.js';

type ConnectCallback = (error: Error | null, ...rest: unknown[]) => void;

/**
 * A pg.Client class that reports how long each successful connect (socket, TLS, login) took.
 * pg-pool emits 'connect' only once a client is ready and nothing when it starts, so the start
 * is taken here.
 */
export function timedClientClass(connected: (seconds: number) => void): typeof pg.Client {
  class TimedClient extends pg.Client {
    // pg's overloads (promise or callback) stay as they are; only the outcome is observed.
    override connect(...args: unknown[]): never {
      const startedAt = performance.now();
      const connect = super.connect as (...args: unknown[]) => unknown;
      const callback = args[0] as ConnectCallback | undefined;
      if (typeof callback !== 'function') {
        return (connect.call(this) as Promise<unknown>).then((client) => {
          connected(secondsSince(startedAt));
          return client;
        }) as never;
      }
      return connect.call(this, (error: Error | null, ...rest: unknown[]) => {
        if (!error) connected(secondsSince(startedAt));
        callback(error, ...rest);
      }) as never;
    }
  }
  return TimedClient;
}

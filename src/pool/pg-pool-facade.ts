import pg from 'pg';
import { messages } from '../errors/messages.js';
import type { RotatingPool } from './rotating-pool.js';
import { leavesSessionUsable } from './session.js';

type Callback<T> = (error: Error | undefined, result?: T) => void;

/**
 * A real `pg.Pool` (an instance of the application's own `pg.Pool` class, as Prisma's adapter
 * checks) backed by the rotating pool, for ORMs and libraries that take an existing pool. Every
 * call goes to the rotating pool, so deadlines, idle rules, login recovery and username
 * generations hold for their traffic too. The object stays the same for the life of the
 * connection: a username rotation switches generations underneath it.
 *
 * pg-pool's own state (set up by its constructor) is never used: `connect`, `query`, `end`, the
 * counts and `options` are all answered by the rotating pool.
 */
export class PgPoolFacade extends pg.Pool {
  // An ES private field: util.inspect and JSON.stringify of the pool never reach the credentials.
  readonly #rotating: RotatingPool;

  constructor(rotating: RotatingPool) {
    super({ max: 1 });
    this.#rotating = rotating;
    // pg-pool's constructor sets some of these as plain fields and its getters read its own
    // (unused) lists; all of them must follow the rotating pool.
    const follow = (get: () => unknown): PropertyDescriptor => ({ get, enumerable: true, configurable: true });
    Object.defineProperties(this, {
      options: follow(() => rotating.currentPoolOptions),
      ending: follow(() => rotating.isEnding),
      ended: follow(() => rotating.isEnded),
      totalCount: follow(() => rotating.counts().total),
      idleCount: follow(() => rotating.counts().idle),
      waitingCount: follow(() => rotating.counts().waiting),
      expiredCount: follow(() => rotating.counts().expired),
    });
    rotating.forwardEventsTo(this);
  }

  /** `connect()` → Promise<PoolClient>, or `connect((err, client, release) => …)`. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Promise or void, as pg.Pool's overloads say
  override connect(...args: unknown[]): any {
    const callback = args[0] as
      | ((error: Error | undefined, client?: pg.PoolClient, release?: (error?: Error | boolean) => void) => void)
      | undefined;
    const acquiring = this.#rotating.acquire();
    if (typeof callback !== 'function') return acquiring;
    acquiring.then(
      // eslint-disable-next-line @typescript-eslint/unbound-method -- release is an arrow function (no `this`)
      (client) => callback(undefined, client, client.release),
      (error: Error) => callback(error, undefined, () => undefined),
    );
    return undefined;
  }

  /**
   * `query(text | config, values?, callback?)`, as pg.Pool: one statement on a pooled
   * connection. Unlike pg-pool, a plain SQL error (severity ERROR) keeps the connection,
   * whose session is intact; anything worse closes it.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Promise or void, as pg.Pool's overloads say
  override query(...args: unknown[]): any {
    const [config, second, third] = args;
    const callback = (typeof second === 'function' ? second : third) as Callback<pg.QueryResult> | undefined;
    const values = typeof second === 'function' ? undefined : second;
    const running =
      typeof config === 'function'
        ? Promise.reject(new TypeError(messages.queryGivenFunction()))
        : this.#run(config as string | pg.QueryConfig, values as unknown[] | undefined);
    if (typeof callback !== 'function') return running;
    running.then(
      (result) => callback(undefined, result),
      (error: Error) => callback(error),
    );
    return undefined;
  }

  /** Ends the connection's pool; safe to call any number of times, by an ORM and by the module. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Promise or void, as pg.Pool's overloads say
  override end(...args: unknown[]): any {
    const callback = args[0] as ((error?: Error) => void) | undefined;
    const ending = this.#rotating.end();
    if (typeof callback !== 'function') return ending;
    ending.then(
      () => callback(),
      (error: Error) => callback(error),
    );
    return undefined;
  }

  async #run(config: string | pg.QueryConfig, values: unknown[] | undefined): Promise<pg.QueryResult> {
    const client = await this.#rotating.acquire();
    try {
      const result = await client.query(config, values);
      client.release();
      return result;
    } catch (error) {
      client.release(!leavesSessionUsable(error));
      throw error;
    }
  }
}

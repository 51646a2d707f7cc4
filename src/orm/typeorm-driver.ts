import pg from 'pg';
import { messages } from '../errors/messages.js';

/**
 * A `pg` module for TypeORM's `driver` option whose `Pool` is the connection's rotating
 * `pg.Pool`: TypeORM builds its pool with `new driver.Pool(options)`, so this is the one place
 * the rotating pool can be handed to it. TypeORM's own connection options (host, username,
 * password, poolSize, connectTimeoutMS, extra) are ignored: the module's options rule every
 * connection. Everything else (`types`, `defaults`, `Client`…) is the application's `pg`.
 *
 * @example
 * TypeOrmModule.forRootAsync({
 *   inject: [getPgPoolToken()],
 *   useFactory: (pool: Pool) => ({ type: 'postgres', driver: typeOrmDriver(pool), entities: [User] }),
 * })
 */
export function typeOrmDriver(pool: pg.Pool): typeof pg {
  if (!(pool instanceof pg.Pool)) throw new TypeError(messages.typeOrmDriverNeedsPool());
  return pgWithPools(() => pool);
}

/**
 * The application's `pg` with `Pool` replaced: TypeORM's `new driver.Pool(options)` gets the
 * rotating pool `choose` picks for those options.
 */
export function pgWithPools(choose: (options: pg.PoolConfig) => pg.Pool): typeof pg {
  // Called with `new`: a constructor that returns an object yields that object.
  function Pool(options: pg.PoolConfig): pg.Pool {
    return choose(options);
  }
  // `native: null` hides pg's getter, so TypeORM never swaps in pg-native's own pool.
  return Object.create(pg, {
    Pool: { value: Pool, enumerable: true },
    native: { value: null, enumerable: true },
  }) as typeof pg;
}

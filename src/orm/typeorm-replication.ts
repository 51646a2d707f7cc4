import pg from 'pg';
import { messages } from '../errors/messages.js';
import { pgWithPools } from './typeorm-driver.js';

/** What `typeOrmReplication` gives TypeORM's DataSource options: spread both into them. */
export interface TypeOrmReplicationOptions {
  driver: typeof pg;
  replication: { master: { host: string }; slaves: { host: string }[] };
}

/** Names TypeORM carries from each replication entry to `new driver.Pool({ host })`; never a real host. */
const MASTER = 'rotating-pg:master';
const slaveLabel = (index: number) => `rotating-pg:slave-${index}`;

/**
 * TypeORM's read/write split over connections of this module: its `replication` settings and a
 * `driver` that hands it, for the master, the writer's pool and, for each slave, a reader's.
 * TypeORM builds one pool per replication entry with `new driver.Pool({ host, … })`; each entry's
 * `host` here is a label that picks the given pool, so TypeORM's routing (reads and `query()` on a
 * slave, writes and transactions on the master) runs on rotating pools, each signing or fetching
 * credentials for its own endpoint.
 *
 * @example
 * TypeOrmModule.forRootAsync({
 *   inject: [getPgPoolToken(), getPgPoolToken('reader')],
 *   useFactory: (writer: Pool, reader: Pool) => ({
 *     type: 'postgres',
 *     ...typeOrmReplication({ master: writer, slaves: [reader] }),
 *     entities: [User],
 *   }),
 * })
 */
export function typeOrmReplication({
  master,
  slaves,
}: {
  master: pg.Pool;
  slaves: pg.Pool[];
}): TypeOrmReplicationOptions {
  if (![master, ...slaves].every((pool) => pool instanceof pg.Pool)) {
    throw new TypeError(messages.typeOrmReplicationNeedsPools());
  }
  const pools = new Map<string, pg.Pool>([
    [MASTER, master],
    ...slaves.map((pool, index) => [slaveLabel(index), pool] as const),
  ]);
  return {
    driver: pgWithPools(({ host }) => {
      const pool = host === undefined ? undefined : pools.get(host);
      if (!pool) throw new TypeError(messages.typeOrmReplicationUnknownEntry(String(host)));
      return pool;
    }),
    replication: { master: { host: MASTER }, slaves: slaves.map((_, index) => ({ host: slaveLabel(index) })) },
  };
}

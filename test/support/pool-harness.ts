import { CredentialCache } from '../../src/credentials/credential-cache.js';
import type { CredentialFetchContext, Credentials } from '../../src/credentials/credential-provider.interface.js';
import { type PoolOptions, RotatingPool } from '../../src/pool/rotating-pool.js';
import { PgPoolFacade } from '../../src/pool/pg-pool-facade.js';
import { ManualClock } from './manual-clock.js';
import { StandInServer } from './stand-in-pg.js';

export const HARNESS_OPTIONS: PoolOptions = {
  name: 'stand-in',
  connection: { host: '127.0.0.1', port: 5432 },
  maxOpenConnections: 3,
  maxIdleConnections: 2,
  connectionMaxLifetimeMs: 60_000,
  connectionMaxLifetimeJitterMs: 6_000,
  connectionMaxIdleTimeMs: 30_000,
  connectionTimeoutMs: 2_000,
};

/** The credential source the tests steer: what it answers, whether it fails, and how long it takes. */
export class SteeredSource {
  name = 'stand-in';
  calls = 0;
  failing = false;
  fetchMs = 0;
  constructor(
    private readonly clock: ManualClock,
    public credentials: Credentials,
  ) {}

  async fetch(_context: CredentialFetchContext): Promise<Credentials> {
    this.calls++;
    if (this.fetchMs > 0) await new Promise<void>((resolve) => this.clock.setTimeout(resolve, this.fetchMs));
    if (this.failing) throw new Error('source unavailable');
    return { ...this.credentials };
  }
}

export interface Harness {
  clock: ManualClock;
  server: StandInServer;
  source: SteeredSource;
  cache: CredentialCache;
  pool: RotatingPool;
  /** The pg.Pool ORMs get, with every 'error' it emitted. */
  pgPool: PgPoolFacade;
  poolErrors: Error[];
  logs: { level: 'log' | 'warn' | 'error'; message: string }[];
}

/** A pool over the stand-in server, on a manual clock, with user `app` whose password is `first`. */
export async function poolHarness(
  options: Partial<PoolOptions> = {},
  random: () => number = () => 0.5,
): Promise<Harness> {
  const clock = new ManualClock();
  const server = new StandInServer(clock);
  server.passwords.set('app', 'first');
  const source = new SteeredSource(clock, { username: 'app', password: 'first' });
  const cache = new CredentialCache(source, { clock, random });
  const logs: Harness['logs'] = [];
  const logger = {
    log: (message: string) => logs.push({ level: 'log', message }),
    warn: (message: string) => logs.push({ level: 'warn', message }),
    error: (message: string) => logs.push({ level: 'error', message }),
  };
  const pool = new RotatingPool({ ...HARNESS_OPTIONS, ...options }, cache, logger, {
    clock,
    random,
    createClient: server.createClient,
  });
  const pgPool = new PgPoolFacade(pool);
  const poolErrors: Error[] = [];
  pgPool.on('error', (error) => poolErrors.push(error));
  const initializing = pool.initialize();
  await clock.advance(0);
  await initializing;
  return { clock, server, source, cache, pool, pgPool, poolErrors, logs };
}

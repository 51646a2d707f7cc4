// The pool's own cost per query, without the network: raw pg.Pool and the module's pool over
// the same stand-in pg client, whose connect and query answer on the next turn of the event loop
// (as a socket read would) without doing anything. What is left is the pool code on each side:
// checkout, hand-out checks, release and the promises in between. The matrix's throughput ratios
// over loopback cannot resolve 1 µs in 40; this can.
//
// It builds the module's pool from its internals (dist/), as DbService.create does, because the
// public options have no place for another pg client class.
import { EventEmitter } from 'node:events';
import pg from 'pg';
import { resolveDatabaseOptions } from '../dist/config/resolve-database-options.js';
import { createCredentialProvider } from '../dist/sources/registry.js';
import { CredentialCache } from '../dist/credentials/credential-cache.js';
import { RotatingPool } from '../dist/pool/rotating-pool.js';
import { PgPoolFacade } from '../dist/pool/pg-pool-facade.js';
import { median, spread } from './load-kit.mjs';

const RESULT = Object.freeze({ command: 'SELECT', rowCount: 1, rows: [{ '?column?': 1 }], fields: [] });

/** What pg-pool and the module use of a pg.Client, answering on the next event-loop turn. */
class StandInClient extends EventEmitter {
  _queryable = true;
  _ending = false;
  // The session state pg reads off ReadyForQuery: idle, and ready (the module checks it at release).
  readyForQuery = true;
  _txStatus = 'I';
  connection = Object.assign(new EventEmitter(), { stream: { destroy() {} } });
  connect(callback) {
    setImmediate(() => callback());
  }
  query(config, values, callback) {
    const done = typeof values === 'function' ? values : callback;
    if (done) return void setImmediate(() => done(undefined, RESULT));
    return new Promise((resolve) => setImmediate(() => resolve(RESULT)));
  }
  end(callback) {
    this._ending = true;
    setImmediate(() => {
      this.emit('end');
      callback?.();
    });
    return callback ? undefined : Promise.resolve();
  }
  isConnected() {
    return !this._ending;
  }
  ref() {}
  unref() {}
}

const silent = { log() {}, warn() {}, error() {} };

/** The module's pool as DbService.create builds it (default options, static password), over the stand-in client. */
export async function modulePool() {
  const { credentialSource, meterProvider, durationMetrics, ...options } = resolveDatabaseOptions({
    host: '127.0.0.1',
    port: 5432,
    database: 'bench',
    user: 'bench',
    password: 'stand-in',
  });
  const rotating = new RotatingPool(options, new CredentialCache(createCredentialProvider(credentialSource)), silent, {
    createClient: () => new StandInClient(),
  });
  await rotating.initialize();
  return new PgPoolFacade(rotating);
}

/** pg.Pool with the module's default size and connection timeout. */
export function rawPool() {
  return new pg.Pool({ max: 8, Client: StandInClient, connectionTimeoutMillis: 10_000 });
}

/** One statement through `pool.query`, or through connect / query / release as ORMs do. */
const paths = {
  'pool.query': (pool) => pool.query('SELECT 1'),
  'connect + query + release': async (pool) => {
    const client = await pool.connect();
    try {
      return await client.query('SELECT 1');
    } finally {
      client.release();
    }
  },
};

/** Nanoseconds of CPU per query with `concurrency` callers running `queries` in all. */
async function measure(pool, path, concurrency, queries) {
  let left = queries;
  const worker = async () => {
    while (left-- > 0) await path(pool);
  };
  const cpuBefore = process.cpuUsage();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const cpu = process.cpuUsage(cpuBefore);
  return ((cpu.user + cpu.system) * 1000) / queries;
}

/**
 * Interleaved rounds per path and concurrency: raw then ours, each on a fresh pool warmed up
 * first, so JIT state and GC pressure are shared as evenly as one process allows.
 */
export async function hotPath({ rounds = 7, queries = 60_000, concurrencies = [1, 8, 32] } = {}) {
  const rows = [];
  for (const [pathName, path] of Object.entries(paths)) {
    for (const concurrency of concurrencies) {
      const samples = { raw: [], ours: [] };
      for (let round = 0; round < rounds; round++) {
        for (const [name, make] of [
          ['raw', rawPool],
          ['ours', modulePool],
        ]) {
          const pool = await make();
          await measure(pool, path, concurrency, queries / 10);
          global.gc?.();
          samples[name].push(await measure(pool, path, concurrency, queries));
          await pool.end();
        }
      }
      const raw = median(samples.raw);
      const ours = median(samples.ours);
      rows.push({
        path: pathName,
        concurrency,
        raw,
        ours,
        extra: ours - raw,
        ratio: ours / raw,
        rawSpread: spread(samples.raw),
        oursSpread: spread(samples.ours),
      });
    }
  }
  return rows;
}

export function hotPathMarkdown(rows, { rounds, queries }) {
  const ns = (value) => `${Math.round(value)} ns`;
  return [
    '## The pool code alone, without a network',
    '',
    `CPU per query of the pool code alone: a stand-in pg client that answers on the next event-loop turn without a network, ${queries.toLocaleString('en')} queries per sample, median of ${rounds} interleaved rounds (min–max). The loopback matrix above cannot resolve 1 µs in 40; this can, though a VM's noise still moves single samples by ±20%.`,
    '',
    '| path | concurrency | raw pg.Pool | module | extra per query | module ÷ raw |',
    '|---|---:|---:|---:|---:|---:|',
    ...rows.map(
      (row) =>
        `| ${row.path} | ${row.concurrency} | ${ns(row.raw)} (${row.rawSpread}) | ${ns(row.ours)} (${row.oursSpread}) | ${ns(row.extra)} | ${row.ratio.toFixed(2)} |`,
    ),
    '',
  ].join('\n');
}

// `node --expose-gc bench/hot-path.mjs` prints the table alone.
if (import.meta.url === `file://${process.argv[1]}`) {
  const settings = {
    rounds: Number(process.env.BENCH_ROUNDS ?? 7),
    queries: Number(process.env.BENCH_HOT_QUERIES ?? 60_000),
  };
  console.log(hotPathMarkdown(await hotPath(settings), settings));
}

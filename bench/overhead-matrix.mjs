// The overhead matrix of `npm run bench`: DbService.query, DbService.pool.query and raw
// pg.Pool.query with default options, at concurrency 1, 8, 32 and 64, on SELECT 1 and on an
// indexed read/write, steady and in bursts. Every cell interleaves the contenders round by round.
import pg from 'pg';
import { DbService } from 'nestjs-rotating-pg';
import { median } from './load-kit.mjs';

const CONCURRENCIES = [1, 8, 32, 64];
const ROWS = 10_000;
/** Bursty: this long at full concurrency, then this long with nothing to do. */
const BURST_MS = 150;
const PAUSE_MS = 100;

const percentile = (sorted, share) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * share))];

const workloads = {
  'SELECT 1': (query) => query('SELECT 1'),
  'indexed read/write': (query) => {
    const id = 1 + Math.floor(Math.random() * ROWS);
    return Math.random() < 0.5
      ? query('SELECT n FROM bench_items WHERE id = $1', [id])
      : query('UPDATE bench_items SET n = n + 1 WHERE id = $1', [id]);
  },
};

/** Default options on both sides: what a new user gets. pg.Pool's own default size is 10, as is ours. */
function contendersFor(credentials) {
  return {
    'pg.Pool': async () => {
      const pool = new pg.Pool(credentials);
      let opened = 0;
      pool.on('connect', () => opened++);
      return { query: (text, values) => pool.query(text, values), opened: () => opened, close: () => pool.end() };
    },
    DbService: async () => {
      const db = await DbService.create(credentials);
      return {
        query: (text, values) => db.query(text, values),
        opened: () => db.stats().opened,
        close: () => db.onApplicationShutdown(),
      };
    },
    'DbService.pool': async () => {
      const db = await DbService.create(credentials);
      return {
        query: (text, values) => db.pool.query(text, values),
        opened: () => db.stats().opened,
        close: () => db.onApplicationShutdown(),
      };
    },
    // The lead from the issue: the default maxIdleConnections (2) closes surplus idle connections after each burst.
    'DbService, maxIdleConnections 10': async () => {
      const db = await DbService.create({ ...credentials, maxIdleConnections: 10 });
      return {
        query: (text, values) => db.query(text, values),
        opened: () => db.stats().opened,
        close: () => db.onApplicationShutdown(),
      };
    },
  };
}

async function measure(make, workload, concurrency, bursty, durationMs) {
  const client = await make();
  const latencies = [];
  let done = 0;
  const cpuBefore = process.cpuUsage();
  const startedAt = performance.now();
  const until = startedAt + durationMs;
  const inBurst = () => !bursty || (performance.now() - startedAt) % (BURST_MS + PAUSE_MS) < BURST_MS;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < until) {
        if (!inBurst()) {
          await new Promise((resolve) => setTimeout(resolve, 5));
          continue;
        }
        const started = performance.now();
        await workload(client.query);
        latencies.push(performance.now() - started);
        done++;
      }
    }),
  );
  const cpu = process.cpuUsage(cpuBefore);
  const opened = client.opened();
  await client.close();
  latencies.sort((a, b) => a - b);
  return {
    ops: done / (durationMs / 1000),
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    cpu: (cpu.user + cpu.system) / done,
    opened,
  };
}

/** Runs the matrix; returns the Markdown section for RESULTS.md. */
export async function overheadMatrix({ server, rounds, durationMs }) {
  await server.admin(`CREATE TABLE IF NOT EXISTS bench_items (id int PRIMARY KEY, n int NOT NULL)`);
  await server.admin(`INSERT INTO bench_items SELECT g, 0 FROM generate_series(1, ${ROWS}) g ON CONFLICT DO NOTHING`);
  await server.admin('GRANT SELECT, UPDATE ON bench_items TO bench');
  const contenders = contendersFor({
    host: server.host,
    port: server.port,
    database: 'postgres',
    user: 'bench',
    password: 'bench-password',
  });
  const lines = [];
  const misses = [];
  for (const [workloadName, workload] of Object.entries(workloads)) {
    for (const bursty of [false, true]) {
      for (const concurrency of CONCURRENCIES) {
        const runs = Object.fromEntries(Object.keys(contenders).map((name) => [name, []]));
        for (let round = 0; round < rounds; round++) {
          for (const [name, make] of Object.entries(contenders))
            runs[name].push(await measure(make, workload, concurrency, bursty, durationMs));
        }
        const of = (name, key) => median(runs[name].map((run) => run[key]));
        const base = 'pg.Pool';
        const cells = Object.keys(contenders)
          .filter((name) => name !== base)
          .map((name) => {
            const ratio = of(name, 'ops') / of(base, 'ops');
            if (ratio < 0.97 && !name.includes('maxIdle'))
              misses.push(
                `${name}, ${workloadName}, ${bursty ? 'bursty' : 'steady'}, concurrency ${concurrency}: ${ratio.toFixed(2)}`,
              );
            return `${ratio.toFixed(2)} / ${(of(name, 'p99') / of(base, 'p99')).toFixed(2)} / ${(of(name, 'cpu') / of(base, 'cpu')).toFixed(2)} / ${Math.round(of(name, 'opened'))}`;
          });
        lines.push(
          `| ${workloadName} | ${bursty ? 'bursty' : 'steady'} | ${concurrency} | ${Math.round(of(base, 'ops'))} q/s, p99 ${of(base, 'p99').toFixed(2)} ms, ${of(base, 'cpu').toFixed(1)} µs CPU, ${Math.round(of(base, 'opened'))} opened | ${cells.join(' | ')} |`,
        );
        process.stderr.write('.');
      }
    }
  }
  const others = Object.keys(contenders).filter((name) => name !== 'pg.Pool');
  return `## Overhead at every concurrency, default options

${rounds} interleaved rounds of ${durationMs / 1000} s per cell; default options on both sides (pool size 10; ours: \`maxIdleConnections\` 2, 14m lifetimes; pg.Pool: 10 s idle timeout). "bursty" runs ${BURST_MS} ms of load then ${PAUSE_MS} ms of nothing, over and over. "indexed read/write" is half \`SELECT n FROM bench_items WHERE id = $1\`, half \`UPDATE … SET n = n + 1\` on a random one of ${ROWS} rows. Each contender's cell: throughput ratio / p99 ratio / client CPU per query ratio, all against raw pg.Pool in the same cell, then connections opened during the cell.

| workload | load | concurrency | raw pg.Pool | ${others.join(' | ')} |
|---|---|---|---|${others.map(() => '---').join('|')}|
${lines.join('\n')}

Target: throughput ≥ 0.97 × raw pg.Pool in every cell (DbService and DbService.pool). ${misses.length === 0 ? 'Met in every cell of this run.' : `Missed in this run: ${misses.join('; ')}.`}
`;
}

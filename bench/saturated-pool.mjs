// The saturated pool: more callers than connections, so checkouts queue behind busy connections
// and the waiting path is paid on every query. Raw pg.Pool against DbService and DbService.pool
// with the same pool size, at 1, 4 and 8 callers per connection, plus raw pg.Pool against itself
// (the A/A column): when that column strays beyond ±2%, the run cannot tell 3% apart and says so.
// Part of `npm run bench`; alone: `npm run build && node --expose-gc bench/saturated-pool.mjs`.
import { Logger } from '@nestjs/common';
import pg from 'pg';
import { DbService } from 'nestjs-rotating-pg';
import { startTestPostgres } from 'nestjs-rotating-pg/testing';
import { median } from './load-kit.mjs';

const POOL_SIZE = 8;
const CALLERS_PER_CONNECTION = [1, 4, 8];
const TARGET_THROUGHPUT = 0.97;
const TARGET_CPU = 1.03;
const A_A_NOISE = 0.02;

function contendersFor(credentials) {
  const raw = () => {
    const pool = new pg.Pool({ ...credentials, max: POOL_SIZE });
    return { query: (text) => pool.query(text), close: () => pool.end() };
  };
  const module = (viaPgPool) => async () => {
    const db = await DbService.create({ ...credentials, maxOpenConnections: POOL_SIZE, maxIdleConnections: POOL_SIZE });
    return {
      query: viaPgPool ? (text) => db.pool.query(text) : (text) => db.query(text),
      close: () => db.onApplicationShutdown(),
    };
  };
  return { 'pg.Pool': raw, 'pg.Pool (A/A)': raw, DbService: module(false), 'DbService.pool': module(true) };
}

let server;

/**
 * Waits until the server has let go of the last contender's backends. A closed pool's backends
 * still exit on the server after its sockets close; on a 2-core machine that work would otherwise
 * land on whichever contender runs next (it showed as raw pg.Pool measuring 4 to 10% slower
 * against itself).
 */
async function quiesce() {
  for (const deadline = performance.now() + 10_000; performance.now() < deadline;) {
    const {
      rows: [{ count }],
    } = await server.admin("SELECT count(*)::int AS count FROM pg_stat_activity WHERE usename = 'bench'");
    if (count === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  globalThis.gc?.();
}

async function measure(make, callers, durationMs) {
  const client = await make();
  // Every connection open before the clock starts: the cell measures the queue, not the logins.
  await Promise.all(Array.from({ length: POOL_SIZE }, () => client.query('SELECT pg_sleep(0.005)')));
  let done = 0;
  const cpuBefore = process.cpuUsage();
  const until = performance.now() + durationMs;
  await Promise.all(
    Array.from({ length: callers }, async () => {
      while (performance.now() < until) {
        await client.query('SELECT 1');
        done++;
      }
    }),
  );
  const cpu = process.cpuUsage(cpuBefore);
  await client.close();
  await quiesce();
  return { ops: done / (durationMs / 1000), cpuPerQuery: (cpu.user + cpu.system) / done };
}

/**
 * Runs every cell, contenders interleaved round by round (the order turning each round); returns the Markdown section.
 */
export async function saturatedPool({ server: testServer, rounds = 15, durationMs = 2_000 }) {
  server = testServer;
  const contenders = contendersFor({
    host: testServer.host,
    port: testServer.port,
    database: 'postgres',
    user: 'bench',
    password: 'bench-password',
  });
  const names = Object.keys(contenders);
  const rows = [];
  const verdicts = [];
  for (const perConnection of CALLERS_PER_CONNECTION) {
    const callers = perConnection * POOL_SIZE;
    const runs = Object.fromEntries(names.map((name) => [name, []]));
    // One round unrecorded: the JIT and the server's caches warm on it, not on the first contender.
    for (const name of names) await measure(contenders[name], callers, durationMs / 2);
    for (let round = 0; round < rounds; round++) {
      const order = names.map((_, index) => names[(index + round) % names.length]);
      for (const name of order) runs[name].push(await measure(contenders[name], callers, durationMs));
      process.stderr.write('.');
    }
    const of = (name, key) => median(runs[name].map((run) => run[key]));
    // Paired: each round's ratio against raw pg.Pool of the same round, then the median of those,
    // so a drift across rounds (the machine, the server's own state) cancels out of the ratio.
    const ratio = (name, key) => median(runs[name].map((run, round) => run[key] / runs['pg.Pool'][round][key]));
    const aa = ratio('pg.Pool (A/A)', 'ops');
    const noisy = Math.abs(aa - 1) > A_A_NOISE;
    const cells = ['DbService', 'DbService.pool'].map((name) => {
      const throughput = ratio(name, 'ops');
      const cpu = ratio(name, 'cpuPerQuery');
      const met = throughput >= TARGET_THROUGHPUT && cpu <= TARGET_CPU;
      verdicts.push(
        `${name} at ${perConnection} per connection: ${met ? 'met' : 'missed'}${noisy ? ' (A/A outside ±2%: not conclusive)' : ''}`,
      );
      return `${throughput.toFixed(3)} / ${cpu.toFixed(3)}`;
    });
    rows.push(
      `| ${perConnection} (${callers} callers) | ${Math.round(of('pg.Pool', 'ops'))} q/s, ${of('pg.Pool', 'cpuPerQuery').toFixed(1)} µs CPU | ${aa.toFixed(3)} / ${ratio('pg.Pool (A/A)', 'cpuPerQuery').toFixed(3)} | ${cells.join(' | ')} |`,
    );
  }
  return `## The saturated pool: callers queue behind busy connections

Pool size ${POOL_SIZE} on every side (\`maxIdleConnections\` ${POOL_SIZE}), \`SELECT 1\`, every connection open before each cell starts; a warm-up round, then ${rounds} rounds of ${durationMs / 1000} s per cell, the contenders interleaved and their order turning each round; each ratio is the median of the rounds' ratios (paired within a round). Each cell: throughput ratio / client CPU per query ratio against raw pg.Pool in the same cell. "pg.Pool (A/A)" is raw pg.Pool measured as a contender against itself: how far this run's noise alone moves a ratio.

| callers per connection | raw pg.Pool | pg.Pool (A/A) | DbService | DbService.pool |
|---|---|---|---|---|
${rows.join('\n')}

Targets: throughput ≥ ${TARGET_THROUGHPUT} × and client CPU per query ≤ ${TARGET_CPU} × raw pg.Pool, judged only where the A/A column stays within ±${A_A_NOISE * 100}%. This run: ${verdicts.join('; ')}.
`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  Logger.overrideLogger(['error', 'warn']);
  const server = await startTestPostgres({ alwaysEmbedded: true });
  await server.admin("CREATE ROLE bench LOGIN PASSWORD 'bench-password'");
  try {
    console.log(
      await saturatedPool({
        server,
        rounds: Number(process.env.BENCH_SATURATED_ROUNDS ?? 15),
        durationMs: Number(process.env.BENCH_SATURATED_MS ?? 2_000),
      }),
    );
  } finally {
    await server.stop();
  }
}

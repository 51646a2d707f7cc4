// Reconnect spread of `npm run bench`: 32 connections opened together with a 10 s lifetime,
// under steady load for a few lifetimes. How many of them log in again within any one second?
// Ours (deadline = lifetime − random jitter) against pg-pool's own maxLifetimeSeconds.
import pg from 'pg';
import { DbService } from 'nestjs-rotating-pg';

const SIZE = 32;
const LIFETIME_S = 10;
const RUN_MS = 32_000;

/** Each contender gives a pg.Pool-like object whose 'connect' events mark logins. */
function contendersFor(credentials) {
  const ours = (jitter) => async () => {
    const db = await DbService.create({
      ...credentials,
      maxOpenConnections: SIZE,
      maxIdleConnections: SIZE,
      connectionMaxLifetime: `${LIFETIME_S}s`,
      ...(jitter && { connectionMaxLifetimeJitter: jitter }),
    });
    return { pool: db.pool, close: () => db.onApplicationShutdown() };
  };
  return {
    'pg.Pool, maxLifetimeSeconds 10': async () => {
      const pool = new pg.Pool({ ...credentials, max: SIZE, maxLifetimeSeconds: LIFETIME_S });
      return { pool, close: () => pool.end() };
    },
    'DbService, lifetime 10s, default jitter (a tenth: 1s)': ours(undefined),
    'DbService, lifetime 10s, jitter 5s': ours('5s'),
  };
}

/** The largest number of logins inside any one-second window (sliding, at 10 ms steps). */
function largestInOneSecond(times) {
  let best = 0;
  for (let start = 0, end = 0; start < times.length; start++) {
    while (end < times.length && times[end] < times[start] + 1_000) end++;
    best = Math.max(best, end - start);
  }
  return best;
}

/**
 * At the default 14m lifetime no bench can wait for a reconnect, so this applies the module's rule
 * (deadline = opened + lifetime − U(0, jitter), jitter a tenth of the lifetime: 84 s) to pools
 * opened together, many times over: the share of the pool that reconnects in the busiest second.
 */
function defaultJitterSpread(sizes = [10, 32, 64], trials = 10_000, jitterMs = 84_000) {
  return sizes.map((size) => {
    let sum = 0;
    let worst = 0;
    for (let trial = 0; trial < trials; trial++) {
      const deadlines = Array.from({ length: size }, () => Math.random() * jitterMs).sort((a, b) => a - b);
      const largest = largestInOneSecond(deadlines) / size;
      sum += largest;
      worst = Math.max(worst, largest);
    }
    return `| ${size} | ${Math.round((100 * sum) / trials)}% | ${Math.round(100 * worst)}% |`;
  });
}

async function measure(make) {
  const { pool, close } = await make();
  const logins = [];
  const startedAt = performance.now();
  pool.on('connect', () => logins.push(performance.now() - startedAt));
  let failed = 0;
  const until = startedAt + RUN_MS;
  await Promise.all(
    Array.from({ length: SIZE }, async () => {
      while (performance.now() < until) await pool.query('SELECT pg_sleep(0.01)').catch(() => failed++);
    }),
  );
  await close();
  // The first SIZE logins open the pool together; the rest are reconnects.
  const reconnects = logins.slice(SIZE).sort((a, b) => a - b);
  return { reconnects: reconnects.length, largest: largestInOneSecond(reconnects), failed, times: reconnects };
}

/**
 * Runs the comparison; returns the Markdown section for RESULTS.md and each contender's reconnect
 * times (ms from the start) for the reconnects-per-second chart.
 */
export async function reconnectSpread({ server }) {
  const contenders = contendersFor({
    host: server.host,
    port: server.port,
    database: 'postgres',
    user: 'bench',
    password: 'bench-password',
  });
  const rows = [];
  const series = [];
  for (const [name, make] of Object.entries(contenders)) {
    const { reconnects, largest, failed, times } = await measure(make);
    rows.push(`| ${name} | ${reconnects} | ${largest} | ${Math.round((100 * largest) / SIZE)}% | ${failed} |`);
    series.push({ name, times, largestShare: largest / SIZE });
    process.stderr.write('.');
  }
  const section = `## Reconnect spread

${SIZE} connections opened together, a ${LIFETIME_S} s lifetime, ${SIZE} callers running \`SELECT pg_sleep(0.01)\` for ${RUN_MS / 1000} s. Reconnects are the logins after the first ${SIZE}; the largest share is the most of them inside any one second, as a share of the pool. Target: ≤ 25%.

| contender | reconnects | most in one second | share of the pool | failed queries |
|---|---|---|---|---|
${rows.join('\n')}

At the default lifetime (14m, so a jitter of up to 84 s), which no bench run can wait for: the
module's deadline rule applied 10,000 times to a pool whose connections all opened in the same
moment (computed, not measured). Later cycles spread further, as each reconnect draws a new jitter.

| pool size | busiest second, mean | busiest second, worst of 10,000 |
|---|---|---|
${defaultJitterSpread().join('\n')}

Decision: the default jitter stays a tenth of the lifetime. At 14m it meets the target for pools of
32 and more and comes close for small pools (2 of 10 connections in one second is 20%); a wider
default would shorten every connection's mean life and so cost more logins. Scaled-down lifetimes
(like the 10 s runs above) need \`connectionMaxLifetimeJitter\` set explicitly.
`;
  return { section, data: { size: SIZE, lifetimeS: LIFETIME_S, runMs: RUN_MS, contenders: series } };
}

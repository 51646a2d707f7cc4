// Instructions per query of the pool code alone, raw pg.Pool against the module, counted by
// valgrind's callgrind over the stand-in client of hot-path.mjs (no network, no server): the
// count is the same on a busy machine and a quiet one, where timings move ±20%. Each side runs
// 100k and 300k queries; the difference over 200k queries leaves start-up and shutdown out.
// Part of `npm run bench` when valgrind is installed; alone: `npm run build && node bench/instructions.mjs`.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { modulePool, rawPool } from './hot-path.mjs';

const CONCURRENCIES = [1, 8, 32];
const SMALL = 100_000;
const LARGE = 300_000;
const TARGET = 1.05;

/**
 * The measured loop, run in a child under valgrind:
 * `node bench/instructions.mjs loop <raw|module> <concurrency> <queries>`.
 */
async function loop(side, concurrency, queries) {
  const pool = side === 'raw' ? rawPool() : await modulePool();
  let left = queries;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (left-- > 0) await pool.query('SELECT 1');
    }),
  );
  await pool.end();
}

function instructions(side, concurrency, queries) {
  const run = spawnSync(
    'valgrind',
    [
      '--tool=callgrind',
      '--callgrind-out-file=/dev/null',
      process.execPath,
      fileURLToPath(import.meta.url),
      'loop',
      side,
      String(concurrency),
      String(queries),
    ],
    { encoding: 'utf8' },
  );
  const collected = /Collected : (\d+)/.exec(run.stderr ?? '');
  if (run.status !== 0 || !collected) throw new Error(`callgrind failed (${run.status}): ${run.stderr?.slice(-400)}`);
  return Number(collected[1]);
}

export function valgrindAvailable() {
  return spawnSync('valgrind', ['--version']).status === 0;
}

/** Runs every cell; returns the Markdown section for RESULTS.md. */
export function instructionsPerQuery() {
  const rows = [];
  const verdicts = [];
  for (const concurrency of CONCURRENCIES) {
    const perQuery = (side) =>
      (instructions(side, concurrency, LARGE) - instructions(side, concurrency, SMALL)) / (LARGE - SMALL);
    const raw = perQuery('raw');
    const module = perQuery('module');
    const ratio = module / raw;
    verdicts.push(`${ratio <= TARGET ? 'met' : 'missed'} at concurrency ${concurrency}`);
    rows.push(
      `| ${concurrency} | ${(raw / 1000).toFixed(1)}k | ${(module / 1000).toFixed(1)}k | ${ratio.toFixed(2)} |`,
    );
    process.stderr.write('.');
  }
  return `## Instructions per query, pool code alone

valgrind callgrind over the stand-in client of \`bench/hot-path.mjs\` (answers on the next event-loop turn; no network, no server), \`pool.query('SELECT 1')\` with default options (pool of 8 for raw pg.Pool, 10 for the module), (Ir(${LARGE / 1000}k queries) − Ir(${SMALL / 1000}k)) / ${(LARGE - SMALL) / 1000}k. At concurrency 32 both pools are saturated and checkouts queue. Instruction counts do not move with the machine's load.

| concurrency | raw pg.Pool | module (DbService.pool) | ratio |
|---|---|---|---|
${rows.join('\n')}

Target: ≤ ${TARGET} × raw pg.Pool at every concurrency. This run: ${verdicts.join('; ')}.
`;
}

if (process.argv[2] === 'loop') {
  await loop(process.argv[3], Number(process.argv[4]), Number(process.argv[5]));
} else if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(instructionsPerQuery());
}

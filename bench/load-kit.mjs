// Shared by the rotation and IAM runs of `npm run bench`: a load loop that records every query
// into preallocated histograms (so recording adds nothing to the heap being measured), the
// capture of what a contender prints, and a settled heap reading.
import { stripVTControlCharacters } from 'node:util';

/** Latency histogram: 2% wide buckets from 10 µs up, about a minute at the top. */
const BUCKETS = 800;
const FLOOR_MS = 0.01;
const GROWTH = 1.02;
const LOG_GROWTH = Math.log(GROWTH);
const bucketOf = (ms) =>
  Math.min(BUCKETS - 1, Math.max(0, Math.floor(Math.log(Math.max(ms, FLOOR_MS) / FLOOR_MS) / LOG_GROWTH)));
const valueOf = (bucket) => FLOOR_MS * GROWTH ** (bucket + 0.5);

function percentileOf(histogram, share) {
  let total = 0;
  for (const count of histogram) total += count;
  if (total === 0) return Number.NaN;
  const rank = Math.ceil(total * share);
  let seen = 0;
  for (let bucket = 0; bucket < histogram.length; bucket++) {
    seen += histogram[bucket];
    if (seen >= rank) return valueOf(bucket);
  }
  return valueOf(histogram.length - 1);
}

/**
 * Every query of a measured run: a histogram inside credential-change windows and one outside,
 * and per time slot a histogram, successes and failures (for the latency-over-time chart).
 */
export class LoadRecorder {
  constructor(durationMs, slotMs = 500) {
    this.slotMs = slotMs;
    this.slots = Math.ceil(durationMs / slotMs) + 1;
    this.inside = new Uint32Array(BUCKETS);
    this.outside = new Uint32Array(BUCKETS);
    this.slotHistograms = new Uint32Array(this.slots * BUCKETS);
    this.slotOk = new Uint32Array(this.slots);
    this.slotFailed = new Uint32Array(this.slots);
    this.ok = 0;
    this.failed = 0;
    this.failedInside = 0;
    this.errors = new Map();
    this.startedAt = 0;
  }

  record(startedAt, endedAt, inWindow, error) {
    const slot = Math.min(this.slots - 1, Math.floor((startedAt - this.startedAt) / this.slotMs));
    if (error) {
      this.failed++;
      if (inWindow) this.failedInside++;
      this.slotFailed[slot]++;
      // One entry per distinct message: a handful, whatever the number of failures.
      const key = `${error.code ?? error.name ?? 'Error'}: ${String(error.message).slice(0, 140)}`;
      if (this.errors.size < 20 || this.errors.has(key)) this.errors.set(key, (this.errors.get(key) ?? 0) + 1);
      return;
    }
    const bucket = bucketOf(endedAt - startedAt);
    this.ok++;
    (inWindow ? this.inside : this.outside)[bucket]++;
    this.slotHistograms[slot * BUCKETS + bucket]++;
    this.slotOk[slot]++;
  }

  p99Inside() {
    return percentileOf(this.inside, 0.99);
  }

  p99Outside() {
    return percentileOf(this.outside, 0.99);
  }

  p99All() {
    const all = new Uint32Array(BUCKETS);
    for (let bucket = 0; bucket < BUCKETS; bucket++) all[bucket] = this.inside[bucket] + this.outside[bucket];
    return percentileOf(all, 0.99);
  }

  /** One row per time slot: seconds from the start, p50 and p99 in ms, successes and failures. */
  series() {
    return Array.from({ length: this.slots }, (_, slot) => {
      const histogram = this.slotHistograms.subarray(slot * BUCKETS, (slot + 1) * BUCKETS);
      // null, not NaN, where no query succeeded: JSON keeps it, and the chart breaks its line there.
      const ok = this.slotOk[slot] > 0;
      return {
        t: (slot * this.slotMs) / 1000,
        p50: ok ? percentileOf(histogram, 0.5) : null,
        p99: ok ? percentileOf(histogram, 0.99) : null,
        ok: this.slotOk[slot],
        failed: this.slotFailed[slot],
      };
    }).filter((row) => row.ok + row.failed > 0);
  }

  /** The most frequent failure messages, most frequent first. */
  topErrors(limit = 2) {
    return [...this.errors.entries()].sort((a, b) => b[1] - a[1]).slice(0, limit);
  }
}

/**
 * `concurrency` callers running `query` back to back for `durationMs`; each query is recorded
 * with whether `inWindow()` held when it started. Without a recorder, nothing is kept (warm-up).
 */
export async function drive({ query, concurrency, durationMs, recorder, inWindow = () => false }) {
  const startedAt = performance.now();
  if (recorder) recorder.startedAt = startedAt;
  const until = startedAt + durationMs;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < until) {
        const began = performance.now();
        const window = inWindow();
        try {
          await query();
          recorder?.record(began, performance.now(), window);
        } catch (error) {
          recorder?.record(began, performance.now(), window, error);
          // A failing pool answers at once; a short pause keeps the loop from spinning on it.
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      }
    }),
  );
  return performance.now() - startedAt;
}

/** Heap in use after full collections (needs `node --expose-gc`, as `npm run bench` runs it). */
export async function settledHeap() {
  if (typeof global.gc !== 'function') return Number.NaN;
  for (let i = 0; i < 3; i++) {
    global.gc();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return process.memoryUsage().heapUsed;
}

/** A line that starts a message: not indented (a stack frame, an object dump) and not a closing bracket. */
const MESSAGE_HEAD = /^[^\s}\])]/;

/**
 * Holds back what is printed (stdout, stderr, process warnings) while a contender runs, and
 * counts it: "warnings printed" in the results. Only counts are kept (per kind of message), so a
 * chatty contender does not grow the heap being measured. `release()` restores the streams.
 */
export function captureOutput() {
  const summary = { messages: 0, lines: 0, distinct: new Map() };
  const originals = { out: process.stdout.write, err: process.stderr.write };
  const keep = (chunk, encoding, callback) => {
    for (const line of String(chunk).split('\n')) {
      // Strip colours (winston, Nest, Knex) so the same message counts as the same line.
      const raw = stripVTControlCharacters(line);
      const text = raw.trim();
      if (!text) continue;
      summary.lines++;
      if (!MESSAGE_HEAD.test(raw) || raw.startsWith('(Use `node --trace-warnings')) continue;
      summary.messages++;
      const kind = text
        .replace(/^\(node:\d+\)\s*/, '')
        .replace(/^\[Nest\]\s*\d+\s*-\s*[^A-Z]*\s*/, '')
        .replace(/^\d{4}-\d\d-\d\dT[\d:.]+Z\s*/, '')
        .replace(/\d+/g, 'N')
        .slice(0, 120);
      if (summary.distinct.size < 50 || summary.distinct.has(kind))
        summary.distinct.set(kind, (summary.distinct.get(kind) ?? 0) + 1);
    }
    const done = typeof encoding === 'function' ? encoding : callback;
    if (typeof done === 'function') done();
    return true;
  };
  process.stdout.write = keep;
  process.stderr.write = keep;
  return {
    release() {
      process.stdout.write = originals.out;
      process.stderr.write = originals.err;
      return { ...summary, distinct: [...summary.distinct.entries()].sort((a, b) => b[1] - a[1]) };
    },
  };
}

/** "3 (2× MaxListenersExceededWarning …; 1× …)" for a results table. */
export function describeOutput(output, limit = 2) {
  if (output.messages === 0) return output.lines === 0 ? '0' : `0 (${output.lines} other lines)`;
  const shown = output.distinct.slice(0, limit).map(([text, count]) => `${count}× “${text.replace(/\|/g, '\\|')}”`);
  const more = output.distinct.length > limit ? `; ${output.distinct.length - limit} more kinds` : '';
  return `${output.messages}: ${shown.join('; ')}${more}`;
}

/**
 * Counts the logins pg.Client completes for `user`, whoever opens them (ours, pg-pool, Knex and the
 * AWS wrapper all open node-postgres clients): the same count for every contender. `stop()` undoes it.
 */
export function countLogins(pg, user) {
  const original = pg.Client.prototype.connect;
  let count = 0;
  pg.Client.prototype.connect = function connect(callback) {
    const mine = this.user === user;
    if (typeof callback === 'function') {
      return original.call(this, (error, ...rest) => {
        if (!error && mine) count++;
        callback(error, ...rest);
      });
    }
    return original.call(this).then((value) => {
      if (mine) count++;
      return value;
    });
  };
  return {
    get count() {
      return count;
    },
    stop() {
      pg.Client.prototype.connect = original;
    },
  };
}

/** The middle of the sorted values (the upper one of an even count). */
export const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** "min–max" of the values, rounded. */
export const spread = (values) => `${Math.round(Math.min(...values))}–${Math.round(Math.max(...values))}`;

export const fixed = (value, digits = 2) => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');

/** The end of a peers section: how each contender was set up, then what its failed queries said. */
export function setupAndFailures(results, contenders, notes) {
  const setup = results.map((result) => `- ${result.name}: ${contenders[result.name].config}`).join('\n');
  return `How each contender was set up:\n${setup}\n\n${notes.length ? `What the failed queries said:\n${notes.join('\n')}\n` : ''}`;
}

export interface LoadResult {
  succeeded: number;
  failed: number;
  errors: unknown[];
}

/** `workers` loops that call `work` back to back until `durationMs` has passed; counts outcomes. */
export async function runLoad(
  workers: number,
  durationMs: number,
  work: (worker: number) => Promise<unknown>,
  /** Keep going past durationMs until this holds (what the load is for has happened), but no longer than maxMs. */
  { until: done = () => true, maxMs = durationMs }: { until?: () => boolean; maxMs?: number } = {},
): Promise<LoadResult> {
  const result: LoadResult = { succeeded: 0, failed: 0, errors: [] };
  const startedAt = Date.now();
  const going = () => {
    const elapsed = Date.now() - startedAt;
    return elapsed < durationMs || (!done() && elapsed < maxMs);
  };
  await Promise.all(
    Array.from({ length: workers }, async (_, worker) => {
      while (going()) {
        try {
          await work(worker);
          result.succeeded++;
        } catch (error) {
          result.failed++;
          if (result.errors.length < 5) result.errors.push(error);
        }
      }
    }),
  );
  return result;
}

/** Calls `step` every `everyMs` until `stop()` is called; `stop()` resolves after the step under way. */
export function every(everyMs: number, step: () => Promise<void>): { stop(): Promise<void> } {
  let running = true;
  const loop = (async () => {
    while (running) {
      await sleep(everyMs);
      if (running) await step();
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
    },
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` until it returns true or `timeoutMs` passes (then fails with `what`). */
export async function eventually(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await sleep(25);
  }
}

export interface LiveLoad {
  readonly succeeded: number;
  /** Every failure, oldest first, with when the call started and when it ended (`Date.now()`). */
  readonly failures: { startedAt: number; at: number; error: unknown }[];
  /** When the latest success ended (`Date.now()`), 0 before the first. */
  readonly lastSuccessAt: number;
  /** The longest single call, in ms. */
  readonly slowestMs: number;
  /** Ends the loops; resolves once the calls under way have ended. */
  stop(): Promise<void>;
}

/**
 * `workers` loops that call `work` back to back until `stop()`, for scenarios in phases (an outage,
 * then recovery) where the test reads the outcome as it goes. After a failure a loop pauses
 * `pauseAfterFailureMs`, as a caller would, instead of spinning on an error it gets at once.
 */
export function startLoad(
  workers: number,
  work: (worker: number) => Promise<unknown>,
  { pauseAfterFailureMs = 50 } = {},
): LiveLoad {
  let running = true;
  const load = { succeeded: 0, failures: [] as LiveLoad['failures'], lastSuccessAt: 0, slowestMs: 0 };
  const loops = Array.from({ length: workers }, async (_, worker) => {
    while (running) {
      const started = Date.now();
      let failed = false;
      try {
        await work(worker);
        load.succeeded++;
        load.lastSuccessAt = Date.now();
      } catch (error) {
        failed = true;
        load.failures.push({ startedAt: started, at: Date.now(), error });
      }
      load.slowestMs = Math.max(load.slowestMs, Date.now() - started);
      if (failed) await sleep(pauseAfterFailureMs);
    }
  });
  return Object.assign(load, {
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  });
}

export interface LoadResult {
  succeeded: number;
  failed: number;
  errors: unknown[];
}

/** `workers` loops that call `work` back to back until `durationMs` has passed; counts outcomes. */
export async function runLoad(workers: number, durationMs: number, work: (worker: number) => Promise<unknown>): Promise<LoadResult> {
  const result: LoadResult = { succeeded: 0, failed: 0, errors: [] };
  const until = Date.now() + durationMs;
  await Promise.all(
    Array.from({ length: workers }, async (_, worker) => {
      while (Date.now() < until) {
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
export async function eventually(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await sleep(25);
  }
}

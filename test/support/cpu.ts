import pg from 'pg';

/**
 * CPU time this process spent (user + system, every thread: pg's SCRAM hashing runs on libuv's pool) while `work` ran.
 */
export async function measureCpu<T>(work: () => Promise<T>): Promise<{ result: T; cpuMs: number; wallMs: number }> {
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const result = await work();
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  return { result, cpuMs: (cpu.user + cpu.system) / 1000, wallMs };
}

/**
 * What one refused login costs this process in CPU, measured with bare pg clients in the same
 * run: `concurrency` at a time, `rounds` times. A test then bounds the CPU of a scenario by the
 * logins it made, so a slower or busier machine moves the bound along with the work instead of
 * failing a fixed share of a core.
 */
export async function cpuPerRefusedLogin(dsn: string, concurrency = 32, rounds = 3): Promise<number> {
  const login = () =>
    new pg.Client({ connectionString: dsn }).connect().then(
      () => {
        throw new Error('the calibration login was expected to be refused');
      },
      () => undefined,
    );
  const { cpuMs } = await measureCpu(async () => {
    for (let round = 0; round < rounds; round++) await Promise.all(Array.from({ length: concurrency }, login));
  });
  return cpuMs / (concurrency * rounds);
}

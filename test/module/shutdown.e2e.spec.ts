import { spawn } from 'node:child_process';
import { DbService } from '../../src/index.js';
import { useTestDatabase } from '../support/roles.js';

const database = useTestDatabase();

const probe = new URL('../fixtures/exit-probe.mjs', import.meta.url).pathname;

/**
 * Runs the probe (against the built package) and reports whether it exited on its own within `afterDoneMs` of printing
 * "script done". Starting Nest on a busy machine may take long, so only the time after the script's end is judged.
 */
function runProbe(
  mode: 'close' | 'skip-close',
  afterDoneMs: number,
): Promise<{ exited: boolean; code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [probe, database.role.dsn, mode], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let judging: NodeJS.Timeout | undefined;
    const stop = (): void => {
      child.kill('SIGKILL');
      resolve({ exited: false, code: null, output });
    };
    // The script never finishing counts as not exiting; the assertions then show its output.
    const giveUp = setTimeout(stop, 60_000);
    const read = (chunk: Buffer): void => {
      output += chunk.toString();
      if (judging === undefined && output.includes('script done')) judging = setTimeout(stop, afterDoneMs);
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    child.on('exit', (code) => {
      clearTimeout(giveUp);
      clearTimeout(judging);
      resolve({ exited: true, code, output });
    });
  });
}

describe('application shutdown', () => {
  it('ends every pool, timer and client, so the process exits by itself', async () => {
    const result = await runProbe('close', 10_000);
    expect(result.output).toContain('script done');
    expect(result).toMatchObject({ exited: true, code: 0 });
  }, 80_000);

  it('negative control: without app.close() the open pool keeps the process alive', async () => {
    const result = await runProbe('skip-close', 3_000);
    expect(result.output).toContain('script done');
    expect(result.exited).toBe(false);
  }, 80_000);

  it('does not wait without limit for a credential fetch that hangs (issue 20): it gives up after 5 s', async () => {
    let hang = false;
    const db = await DbService.create({
      name: 'hanging-source',
      dsn: database.role.bareDsn,
      credentialProvider: {
        fetch: () =>
          hang
            ? new Promise(() => undefined)
            : Promise.resolve({ username: database.role.username, password: database.role.password }),
      },
    });
    await db.query('SELECT 1');
    hang = true;
    void db.refreshCredentials().catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      db.onApplicationShutdown().then(() => 'shut down'),
      new Promise<string>((resolve) => (timer = setTimeout(() => resolve('still waiting after 20 s'), 20_000))),
    ]);
    clearTimeout(timer);
    expect(outcome).toBe('shut down');
  }, 30_000);
});

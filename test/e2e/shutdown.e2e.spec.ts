import { spawn } from 'node:child_process';
import { useTestDatabase } from '../support/roles.js';

const database = useTestDatabase();

const probe = new URL('../fixtures/exit-probe.mjs', import.meta.url).pathname;

/** Runs the probe (against the built package) and reports whether it exited on its own in time. */
function runProbe(mode: 'close' | 'skip-close', withinMs: number): Promise<{ exited: boolean; code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [probe, database.role.dsn, mode], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve({ exited: false, code: null, output });
    }, withinMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ exited: true, code, output });
    });
  });
}

describe('application shutdown', () => {
  it('ends every pool, timer and client, so the process exits by itself', async () => {
    const result = await runProbe('close', 15_000);
    expect(result.output).toContain('script done');
    expect(result).toMatchObject({ exited: true, code: 0 });
  });

  it('negative control: without app.close() the open pool keeps the process alive', async () => {
    const result = await runProbe('skip-close', 4_000);
    expect(result.output).toContain('script done');
    expect(result.exited).toBe(false);
  });
});

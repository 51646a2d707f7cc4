import { spawn } from 'node:child_process';

/** The built command line, as `npx nestjs-rotating-pg` runs it. */
export const cliPath = new URL('../../dist/cli/main.js', import.meta.url).pathname;

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the built CLI with `env` added to this process's environment. Asynchronously: emulators
 * living in the test's process must go on answering while it runs. `onStdout` sees the output so
 * far (and the pid) at each chunk: a test that signals the CLI waits there for the tool to be up.
 */
export function runCli(
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
  onStdout?: (stdout: string, pid: number) => void,
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliPath, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const run: CliRun = { code: null, stdout: '', stderr: '' };
    child.stdout.on('data', (chunk: Buffer) => {
      run.stdout += chunk.toString();
      onStdout?.(run.stdout, child.pid!);
    });
    child.stderr.on('data', (chunk: Buffer) => (run.stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ ...run, code }));
  });
}

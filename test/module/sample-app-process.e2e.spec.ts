import { spawn } from 'node:child_process';
import { freePort } from '../../src/testing/index.js';
import { eventually } from '../support/load.js';

const main = new URL('../../sample-app/dist/main.js', import.meta.url).pathname;

/** `npm start` as a newcomer runs it (built by pretest): no configuration, then Ctrl-C. */
describe('the sample app as a process', () => {
  it('starts on an embedded PostgreSQL, serves /health and /metrics, logs the rotation, and stops cleanly on SIGINT', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [main], {
      env: { ...process.env, PORT: String(port), ROTATE_EVERY_MS: '1000', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      await eventually('the app to listen', () => output.includes('listening on'), 30_000);
      await eventually(
        'a rotation to be printed',
        () => /rotation 1: database password of notes_app changed/.test(output),
        15_000,
      );
      const health = await fetch(`http://127.0.0.1:${port}/health`);
      expect(health.status).toBe(200);
      expect(((await health.json()) as { details: { database: { status: string } } }).details.database.status).toBe(
        'up',
      );
      const metrics = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(metrics.status).toBe(200);
      expect(await metrics.text()).toMatch(
        /^rotating_pg_connection_opened_total\{db_client_connection_pool_name="default"[^}]*\} [1-9]/m,
      );
      // The module's own account of the rotation, through the app's logger.
      await eventually(
        'the new credentials to be logged',
        () => /new credentials from secrets-manager \(version \w+\) for user notes_app; new connections/.test(output),
        15_000,
      );
    } finally {
      child.kill('SIGINT');
    }
    const code = await Promise.race([
      exited,
      new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 15_000)),
    ]);
    if (code === 'hung') child.kill('SIGKILL');
    expect(code).toBe(0);
    expect(output).toContain('stopped');
    expect(output).not.toMatch(/WARN|ERROR/);
  }, 60_000);
});

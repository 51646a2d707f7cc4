import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { useTempFolder } from '../support/temp-folder.js';

const run = promisify(execFile);
const repo = new URL('../..', import.meta.url).pathname;
const guard = join(repo, 'scripts/check-lockfile.mjs');
/**
 * What npm 11.13 wrote for optional packages it could not fetch, and what made `npm ci` fail with "Invalid Version:".
 */
const STUB_KEY = 'node_modules/unrs-resolver/node_modules/@unrs/resolver-binding-win32-x64-msvc';
const STUB = { dev: true, optional: true };

const folder = useTempFolder('lockfile-');

/** Runs the guard as CI does; its exit code and what it printed. */
async function check(lockPath?: string): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, lockPath ? [guard, lockPath] : [guard], { cwd: repo });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, output: failed.stdout + failed.stderr };
  }
}

describe('the lockfile guard (first step of .ci/run)', () => {
  it("passes the repository's package-lock.json: every entry has a version and an integrity", async () => {
    const { code, output } = await check();
    expect(output).toMatch(/all \d+ entries complete/);
    expect(code).toBe(0);
  });

  it('fails a copy with one stub entry, and names it (negative control)', async () => {
    const lock = JSON.parse(await readFile(join(repo, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, object>;
    };
    lock.packages[STUB_KEY] = STUB;
    const copy = join(folder, 'package-lock.json');
    await writeFile(copy, JSON.stringify(lock));
    const { code, output } = await check(copy);
    expect(code).toBe(1);
    expect(output).toContain(`1 entry lacks a version or integrity`);
    expect(output).toContain(`${STUB_KEY} (no version, no integrity)`);
  });

  it('does not count links or bundled packages, for which npm records no integrity', async () => {
    const lock = {
      lockfileVersion: 3,
      packages: {
        '': { name: 'x' },
        'node_modules/a': { link: true, resolved: 'packages/a' },
        'node_modules/b/node_modules/c': { version: '1.0.0', inBundle: true },
      },
    };
    const copy = join(folder, 'package-lock.json');
    await writeFile(copy, JSON.stringify(lock));
    expect((await check(copy)).code).toBe(0);
  });
});

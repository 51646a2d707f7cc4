import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { type FSWatcher, watch } from 'node:fs';
import { chmod, mkdtemp, readdir, readFile, readlink, realpath, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { eventually } from '../support/load.js';
import { acceptsConnections } from '../support/net.js';

const probe = new URL('../fixtures/test-postgres-probe.mjs', import.meta.url).pathname;

/** The binaries copied once per installation (as root, from a private checkout) are a cache kept on purpose. */
const isBinaryCache = (name: string) => name.startsWith('nestjs-rotating-pg-postgres-');

interface Probe {
  child: ChildProcessByStdio<null, Readable, Readable>;
  port: number;
}

/** Starts a test PostgreSQL (the built kit) in a child process whose temp directory is `temp`. */
function startProbe(temp: string, mode: 'wait' | 'stop'): Promise<Probe> {
  const child = spawn(process.execPath, [probe, mode], {
    env: { ...process.env, TMPDIR: temp },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const port = /"port":(\d+)/.exec(output)?.[1];
      if (port) resolve({ child, port: Number(port) });
    });
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', (code) => reject(new Error(`the probe exited (${code}) before it reported its port:\n${output}`)));
  });
}

/** What the kit left in `temp`, but the binary cache. */
async function leftovers(temp: string): Promise<string[]> {
  return (await readdir(temp)).filter((name) => !isBinaryCache(name));
}

/** Processes that work in `dir` or name it (the server and its backends, the watchdog); a zombie does neither. */
async function processesUsing(dir: string): Promise<number[]> {
  const found: number[] = [];
  for (const pid of (await readdir('/proc')).filter((entry) => /^\d+$/.test(entry))) {
    const cwd = await readlink(`/proc/${pid}/cwd`).catch(() => '');
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cwd.startsWith(dir) || cmdline.includes(dir)) found.push(Number(pid));
  }
  return found;
}

(process.platform === 'linux' ? describe : describe.skip)('the testing kit cleans up after itself', () => {
  let temp: string;
  let watcher: FSWatcher;
  /** Every name that appeared in the temp directory, even for a moment (initdb's password file would). */
  const seen = new Set<string>();
  let probeProcess: Probe['child'] | undefined;

  beforeAll(async () => {
    temp = await realpath(await mkdtemp(join(tmpdir(), 'kit-cleanup-')));
    // As root the server runs as the `postgres` user, who must reach its directory in here.
    await chmod(temp, 0o755);
    watcher = watch(temp, (_event, name) => name && seen.add(name));
  });
  afterEach(() => probeProcess?.kill('SIGKILL'));
  afterAll(async () => {
    watcher.close();
    await rm(temp, { recursive: true, force: true });
  });

  it('a process killed with SIGKILL leaves no server, no data directory and no password file', async () => {
    const { child, port } = await startProbe(temp, 'wait');
    probeProcess = child;
    const [runDir, ...others] = await leftovers(temp);
    expect(others).toEqual([]);
    const running = join(temp, runDir!);
    expect((await stat(running)).mode & 0o777).toBe(0o700);
    expect(await readdir(running)).toEqual(['data']);
    expect(await processesUsing(running)).not.toEqual([]);

    child.kill('SIGKILL');
    await eventually('the server stops and the watchdog deletes its directory', async () => {
      return (await processesUsing(temp)).length === 0 && (await leftovers(temp)).length === 0;
    });
    expect(await acceptsConnections(port)).toBe(false);
    expect([...seen].filter((name) => name.startsWith('pg-password-'))).toEqual([]);
  }, 90_000);

  it('stop() leaves nothing behind, and the process still exits by itself', async () => {
    const { child } = await startProbe(temp, 'stop');
    probeProcess = child;
    await eventually('the probe exits by itself', () => child.exitCode !== null, 15_000);
    expect(child.exitCode).toBe(0);
    await eventually('nothing of the server remains', async () => {
      return (await processesUsing(temp)).length === 0 && (await leftovers(temp)).length === 0;
    });
    expect([...seen].filter((name) => name.startsWith('pg-password-'))).toEqual([]);
  }, 90_000);
});

import { spawn } from 'node:child_process';
import type { Socket } from 'node:net';

/**
 * The watchdog's program, plain CommonJS run with `node -e` so that it runs the same from the
 * TypeScript sources (under Jest) and from dist, on every supported Node.
 *
 * It waits for its stdin to close: the starting process ended it, or died (even by SIGKILL, as the
 * kernel closes the pipe then). It then stops the postmaster named in `postmaster.pid` if one
 * still runs in the data directory (immediate shutdown: the data is deleted next) and deletes
 * the run directory. After a normal stop() both are gone already and it merely exits.
 */
const WATCHDOG_PROGRAM = String.raw`
const { existsSync, readFileSync, readlinkSync, realpathSync, rmSync } = require('node:fs');
const { join } = require('node:path');
const [runDir, dataDir] = process.argv.slice(1);

function postmasterPid() {
  try {
    const pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 && isPostgresOf(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

// A pid file left by a crashed server may name a pid reused since: the postmaster works in its
// data directory, so where /proc shows that (Linux), it must match.
function isPostgresOf(pid) {
  try {
    return readlinkSync('/proc/' + pid + '/cwd') === realpathSync(dataDir);
  } catch {
    return !existsSync('/proc/self') && isRunning(pid);
  }
}

// An orphaned server is reaped by init; where nothing reaps it, a zombie counts as stopped.
function isRunning(pid) {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync('/proc/' + pid + '/stat', 'utf8');
    return stat[stat.lastIndexOf(')') + 2] !== 'Z';
  } catch {
    return true;
  }
}

function signal(pid, name) {
  try {
    process.kill(pid, name);
  } catch {}
}

async function stopServer(pid) {
  signal(pid, 'SIGQUIT');
  for (let waited = 0; isRunning(pid); waited += 50) {
    if (waited === 5000) signal(pid, 'SIGKILL');
    if (waited > 10000) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

let cleaning = false;
async function cleanUp() {
  if (cleaning) return;
  cleaning = true;
  const pid = postmasterPid();
  if (pid !== undefined) await stopServer(pid);
  rmSync(runDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  process.exit(0);
}

process.stdin.on('end', cleanUp);
process.stdin.on('close', cleanUp);
process.stdin.on('error', cleanUp);
process.stdin.resume();
`;

/** Deletes a test server's run directory, and stops the server, once the process that started it ends. */
export interface CleanupWatchdog {
  /** Tells the watchdog that the starting process cleaned up itself; it exits (and checks once more). */
  release(): void;
}

/**
 * Starts a watchdog for one embedded server: a detached Node process (so a signal to this
 * process's group spares it) whose stdin is a pipe from this process. Neither the child nor the
 * pipe keeps this process's event loop alive.
 */
export function startCleanupWatchdog(runDir: string, dataDir: string): CleanupWatchdog {
  const child = spawn(process.execPath, ['-e', WATCHDOG_PROGRAM, '--', runDir, dataDir], {
    detached: true,
    stdio: ['pipe', 'ignore', 'ignore'],
    // Whatever NODE_OPTIONS preloads for the tests (an inspector, a loader) has no business here.
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  const pipe = child.stdin as Socket;
  // Failing to reach the watchdog must not fail a test; its only loss is the cleanup after a crash.
  child.on('error', () => undefined);
  pipe.on('error', () => undefined);
  child.unref();
  pipe.unref();
  return {
    release() {
      pipe.destroy();
    },
  };
}

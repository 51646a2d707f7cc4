import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';

import { join } from 'node:path';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import pg from 'pg';
import { RdsIamProxy, rotateSecret, SecretsManagerEmulator, testCertificate } from '../../src/testing/index.js';
import { cliPath as cli, type CliRun, runCli } from '../support/cli.js';
import { iamProxyFor } from '../support/iam.js';
import { createOwnerRole, tableOwner } from '../support/owner-role.js';
import { createTestRole, type TestRole, useTestDatabase } from '../support/roles.js';
import { tablesIn } from '../support/tables.js';
import { useTempFolder } from '../support/temp-folder.js';

const database = useTestDatabase('exec');
const folder = useTempFolder('exec-');
const knexCli = new URL('../../node_modules/knex/bin/cli.js', import.meta.url).pathname;
const nodePgMigrate = new URL('../../node_modules/node-pg-migrate/bin/node-pg-migrate.js', import.meta.url).pathname;
const awsCredentials = { accessKeyId: 'AKIDEXAMPLEEXEC00001', secretAccessKey: 'test-secret-access-key-for-exec' };
/** Every character a token or a generated password may hold that a URL gives a meaning to. */
const AWKWARD_PASSWORD = 'p&w=1%2/3+4 5@6:7?8#9';

/**
 * Runs the built CLI with the test's AWS keys; `onStarted` gets its pid once the tool has printed
 * `ready`.
 */
function cliRun(
  args: string[],
  { env = {}, onStarted }: { env?: NodeJS.ProcessEnv; onStarted?: (pid: number) => void } = {},
): Promise<CliRun> {
  let started = false;
  return runCli(args, { ...awsEnv, ...env }, (stdout, pid) => {
    if (!onStarted || started || !stdout.includes('ready')) return;
    started = true;
    onStarted(pid);
  });
}

const awsEnv = {
  AWS_ACCESS_KEY_ID: awsCredentials.accessKeyId,
  AWS_SECRET_ACCESS_KEY: awsCredentials.secretAccessKey,
  AWS_REGION: 'us-east-1',
};

function configFile(name: string, block: string): string {
  const path = join(folder, `${name}.yaml`);
  writeFileSync(path, `connections:\n  default:\n${block.replace(/^/gm, '    ')}\n`);
  return path;
}

/** One node-pg-migrate migration in its SQL form, in a folder of its own. */
function migrationsFolder(table: string): string {
  const path = mkdtempSync(join(folder, 'migrations-'));
  writeFileSync(
    join(path, `1700000000000_create-${table}.sql`),
    `-- Up Migration\nCREATE TABLE ${table} (id int PRIMARY KEY);\n-- Down Migration\nDROP TABLE ${table};\n`,
  );
  return path;
}

/** A knexfile that reads DATABASE_URL, as the docs show, with one migration beside it. */
function knexProject(table: string): string {
  const path = mkdtempSync(join(folder, 'knex-'));
  mkdirSync(join(path, 'migrations'));
  writeFileSync(
    join(path, 'knexfile.cjs'),
    `module.exports = { client: 'pg', connection: process.env.DATABASE_URL, pool: { min: 1, max: 1 }, ` +
      `migrations: { directory: __dirname + '/migrations', loadExtensions: ['.cjs'] } };\n`,
  );
  writeFileSync(
    join(path, 'migrations', `20260101000000_create_${table}.cjs`),
    `exports.up = (knex) => knex.schema.createTable('${table}', (t) => t.integer('id').primary());\n` +
      `exports.down = (knex) => knex.schema.dropTable('${table}');\n`,
  );
  return join(path, 'knexfile.cjs');
}

function tablesOf(role: TestRole): Promise<string[]> {
  return tablesIn(database.server, role.username);
}

describe('nestjs-rotating-pg exec with a password full of URL characters', () => {
  let role: TestRole;
  let config: string;

  beforeAll(async () => {
    role = await createTestRole(database.server, 'awkward');
    await database.server.admin(`ALTER ROLE ${role.username} PASSWORD '${AWKWARD_PASSWORD}'`);
    config = configFile(
      'awkward',
      `host: ${database.server.host}\nport: ${database.server.port}\ndatabase: ${role.username}\nuser: ${role.username}\npassword: "${AWKWARD_PASSWORD}"`,
    );
  });

  it('logs psql in through the PG* variables and through DATABASE_URL', async () => {
    const run = await cliRun([
      'exec',
      '--config',
      config,
      '--',
      'sh',
      '-c',
      `psql -XAtc "SELECT 'pg-vars ' || current_user" && psql "$DATABASE_URL" -XAtc "SELECT 'url ' || current_user"`,
    ]);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toBe(`pg-vars ${role.username}\nurl ${role.username}\n`);
  });

  it('runs node-pg-migrate, which reads DATABASE_URL', async () => {
    const run = await cliRun([
      'exec',
      '--config',
      config,
      '--',
      process.execPath,
      nodePgMigrate,
      'up',
      '-m',
      migrationsFolder('awkward_things'),
    ]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Migrations complete!/);
    expect(`${run.stdout}${run.stderr}`).not.toContain(AWKWARD_PASSWORD);
    expect(await tablesOf(role)).toEqual(['awkward_things', 'pgmigrations']);
  });

  it("exits with the command's status", async () => {
    expect((await cliRun(['exec', '--config', config, '--', 'sh', '-c', 'exit 7'])).code).toBe(7);
    const failing = await cliRun([
      'exec',
      '--config',
      config,
      '--',
      'psql',
      '-X',
      '-v',
      'ON_ERROR_STOP=1',
      '-c',
      'SELECT nope',
    ]);
    expect(failing.code).toBe(1);
    expect(failing.stderr).toMatch(/column "nope" does not exist/);
  });

  it('passes SIGTERM to the command and exits with its status, or 128 + 15 when it dies of it', async () => {
    const handles = `process.on('SIGTERM', () => { console.log('got SIGTERM'); process.exit(42); }); console.log('ready'); setInterval(() => {}, 1000);`;
    const handled = await cliRun(['exec', '--config', config, '--', process.execPath, '-e', handles], {
      onStarted: (pid) => process.kill(pid, 'SIGTERM'),
    });
    expect(handled).toMatchObject({ code: 42, stdout: 'ready\ngot SIGTERM\n' });

    const dies = `console.log('ready'); setInterval(() => {}, 1000);`;
    const killed = await cliRun(['exec', '--config', config, '--', process.execPath, '-e', dies], {
      onStarted: (pid) => process.kill(pid, 'SIGTERM'),
    });
    expect(killed.code).toBe(128 + 15);
  });

  it('prints nothing of its own, and never the secret, when the command succeeds or fails to start', async () => {
    expect(await cliRun(['exec', '--config', config, '--', 'true'])).toEqual({ code: 0, stdout: '', stderr: '' });
    const missing = await cliRun(['exec', '--config', config, '--', 'no-such-tool-here']);
    expect(missing.code).toBe(127);
    expect(missing.stderr).toMatch(/no-such-tool-here: command not found/);
    expect(missing.stderr).not.toContain(AWKWARD_PASSWORD);
  });

  it('refuses to run without a command after --', async () => {
    for (const args of [
      ['exec', '--config', config],
      ['exec', '--config', config, '--'],
      ['exec', '--config', config, 'psql'],
    ]) {
      const run = await cliRun(args);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/exec: no command to run: put it after --/);
    }
    const optionOfTheTool = await cliRun(['exec', '--config', config, 'psql', '-c', 'SELECT 1']);
    expect(optionOfTheTool.code).toBe(2);
    expect(optionOfTheTool.stderr).toMatch(/Unknown option '-c'[\s\S]*Usage:/);
  });

  it('names the key and the fix when the options are wrong, without the secret', async () => {
    const bad = configFile(
      'bad',
      `dsn: "postgresql://${role.username}:${encodeURIComponent(AWKWARD_PASSWORD)}@127.0.0.1:1/x"\nconnection_max_lifetime: "15m"`,
    );
    const run = await cliRun(['exec', '--config', bad, '--', 'true']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/connections\.default\.connection_max_lifetime: "15m" is not below 15m/);
    expect(run.stderr).not.toContain(encodeURIComponent(AWKWARD_PASSWORD));
  });

  it('url prints a URL that logs in, with no warning when stdout is not a terminal', async () => {
    const run = await cliRun(['url', '--config', config]);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    const client = new pg.Client({ connectionString: run.stdout.trim() });
    await client.connect();
    const { rows } = await client.query<{ user: string }>('SELECT current_user AS user');
    await client.end();
    expect(rows[0]!.user).toBe(role.username);
  });

  it('url warns on stderr when stdout is a terminal', async () => {
    // script(1) gives the command a pseudo-terminal; its output holds both streams.
    const run = await new Promise<CliRun>((resolve, reject) => {
      const child = spawn('script', ['-qec', `${process.execPath} ${cli} url --config ${config}`, '/dev/null'], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const result: CliRun = { code: null, stdout: '', stderr: '' };
      child.stdout.on('data', (chunk: Buffer) => (result.stdout += chunk.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ ...result, code }));
    });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/the URL below holds a live credential[^\n]*\r?\npostgresql:\/\//);
  });

  it('reads DATABASE_URL and DB_AUTH from the environment, as the app does', async () => {
    const run = await cliRun(['exec', '--', 'psql', '-XAtc', 'SELECT current_user'], {
      env: { DATABASE_URL: database.role.dsn, DB_AUTH: 'password', DB_CONFIG: '' },
    });
    expect(run).toMatchObject({ code: 0, stdout: `${database.role.username}\n` });
  });
});

describe('nestjs-rotating-pg exec with a rotated Secrets Manager secret', () => {
  let emulator: SecretsManagerEmulator;
  let role: TestRole;

  beforeAll(async () => {
    emulator = await new SecretsManagerEmulator().start();
    role = await createTestRole(database.server, 'rotated');
    emulator.createSecret('exec/app', { username: role.username, password: role.password });
  });
  afterAll(() => emulator.stop());

  it('gives the tool the password the rotation set, read afresh at each run', async () => {
    const config = configFile(
      'secrets',
      `dsn: "${role.bareDsn}"\nsecrets_manager:\n  secret_id: exec/app\n  region: us-east-1\n  endpoint: ${emulator.endpoint}`,
    );
    const before = await cliRun(['exec', '--config', config, '--', 'psql', '-XAtc', 'SELECT current_user']);
    expect(before).toMatchObject({ code: 0, stdout: `${role.username}\n`, stderr: '' });

    await rotateSecret({
      client: new SecretsManagerClient({
        region: 'us-east-1',
        endpoint: emulator.endpoint,
        credentials: awsCredentials,
      }),
      secretId: 'exec/app',
      admin: (sql) => database.server.admin(sql),
      server: { host: database.server.host, port: database.server.port, database: role.username },
      strategy: 'single-user',
    });
    // The password of the first run no longer logs in: only a fresh read can.
    await expect(new pg.Client({ connectionString: role.dsn }).connect()).rejects.toMatchObject({ code: '28P01' });

    const calls = emulator.calls.GetSecretValue ?? 0;
    const after = await cliRun([
      'exec',
      '--config',
      config,
      '--',
      process.execPath,
      nodePgMigrate,
      'up',
      '-m',
      migrationsFolder('rotated_things'),
    ]);
    expect(after.code).toBe(0);
    expect(after.stdout).toMatch(/Migrations complete!/);
    expect(emulator.calls.GetSecretValue).toBe(calls + 1);
    expect(await tablesOf(role)).toEqual(['pgmigrations', 'rotated_things']);
  });
});

describe('nestjs-rotating-pg exec with RDS IAM tokens over verified TLS', () => {
  let proxy: RdsIamProxy;
  let role: TestRole;
  let config: string;

  beforeAll(async () => {
    role = await createTestRole(database.server, 'iam');
    const certificate = testCertificate();
    proxy = iamProxyFor(database.server, role, { credentials: awsCredentials, tls: certificate, requireTls: true });
    const endpoint = await proxy.start();
    config = configFile(
      'iam',
      `dsn: "postgresql://${role.username}@${endpoint.host}:${endpoint.port}/${role.username}"\n` +
        `ssl:\n  ca: |\n${certificate.cert.trimEnd().replace(/^/gm, '    ')}\n` +
        `aws_iam_auth:\n  enabled: true\n  region: us-east-1`,
    );
  });
  afterAll(() => proxy.stop());

  it('logs psql in with a token, the CA in a private file removed at exit, and says until when tokens log in', async () => {
    const run = await cliRun([
      'exec',
      '--config',
      config,
      '--',
      'sh',
      '-c',
      'echo "$PGSSLMODE $(stat -c %a "$PGSSLROOTCERT") $PGSSLROOTCERT" && psql -XAtc "SELECT current_user"',
    ]);
    expect(run.code).toBe(0);
    const [tls = '', user] = run.stdout.split('\n');
    const [mode, fileMode, caFile = ''] = tls.split(' ');
    expect({ mode, fileMode, user }).toEqual({ mode: 'verify-full', fileMode: '600', user: role.username });
    expect(existsSync(caFile)).toBe(false);
    expect(proxy.accepted).toBeGreaterThanOrEqual(1);
    expect(run.stderr).toMatch(
      /^nestjs-rotating-pg: tokens are checked only at login: connections opened after \d\d:\d\d:\d\d \(in \d+m(\d+s)?\) may be refused;/,
    );
    expect(run.stderr.split('\n').filter(Boolean)).toHaveLength(1);
    expect(`${run.stdout}${run.stderr}`).not.toMatch(/X-Amz-Signature/i);
  });

  it('runs Knex migrations, whose pg reads the token and the CA file from DATABASE_URL', async () => {
    const run = await cliRun(
      [
        'exec',
        '--config',
        config,
        '--',
        process.execPath,
        knexCli,
        'migrate:latest',
        '--knexfile',
        knexProject('iam_things'),
      ],
      // Knex's CLI looks for knex beside the knexfile, here in a temp folder: this repository's copy.
      { env: { KNEX_PATH: new URL('../../node_modules/knex/knex.js', import.meta.url).pathname } },
    );
    expect(run.stderr).toMatch(/^nestjs-rotating-pg: tokens are checked only at login/);
    expect(run.stdout).toMatch(/Batch 1 run: 1 migrations/);
    expect(run.code).toBe(0);
    expect(await tablesOf(role)).toEqual(['iam_things', 'knex_migrations', 'knex_migrations_lock']);
  });

  it('url refuses a CA given as PEM text, naming the fix', async () => {
    const run = await cliRun(['url', '--config', config]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/url: the TLS CA certificate \(ssl\.ca.*\) is not a file.*use exec/);
  });
});

describe('nestjs-rotating-pg exec with sessionRole', () => {
  let role: TestRole;
  let owner: string;
  let config: string;

  beforeAll(async () => {
    role = await createTestRole(database.server, 'migrator');
    // A space: escaped once for PostgreSQL's options, then percent-encoded in DATABASE_URL.
    owner = await createOwnerRole(database.server, role, [role], `Schema Owner ${role.username.slice(-4)}`);
    config = configFile('owner', `dsn: "${role.dsn}"\nsession_role: "${owner}"`);
  });

  it('gives psql the role through PGOPTIONS and through DATABASE_URL', async () => {
    const run = await cliRun([
      'exec',
      '--config',
      config,
      '--',
      'sh',
      '-c',
      `psql -XAtc "SELECT 'pg-vars ' || current_user || ' ' || session_user" && psql "$DATABASE_URL" -XAtc "SELECT 'url ' || current_user || ' ' || session_user"`,
    ]);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toBe(`pg-vars ${owner} ${role.username}\nurl ${owner} ${role.username}\n`);
  });

  it('node-pg-migrate creates its tables owned by the role, not by the login user', async () => {
    const run = await cliRun([
      'exec',
      '--config',
      config,
      '--',
      process.execPath,
      nodePgMigrate,
      'up',
      '-m',
      migrationsFolder('owned_things'),
    ]);
    expect(run.code).toBe(0);
    expect(await tablesOf(role)).toEqual(['owned_things', 'pgmigrations']);
    expect(await tableOwner(role, 'owned_things')).toBe(owner);
    expect(await tableOwner(role, 'pgmigrations')).toBe(owner);
  });
});

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import pg from 'pg';
import { rotateSecret, SecretsManagerEmulator } from '../../src/testing/index.js';
import { runCli } from '../support/cli.js';
import { tablesIn } from '../support/tables.js';
import { createTestRole, type TestRole, useTestDatabase } from '../support/roles.js';
import { useTempFolder } from '../support/temp-folder.js';

/**
 * Issue 23 (c): drizzle-kit and the TypeORM CLI, as installed from npm, run their migrations under exec with
 * the password a Secrets Manager rotation has just set: the URL of the run before would be refused.
 */
const database = useTestDatabase('tools');
const folder = useTempFolder('exec-tools-');
const nodeModules = new URL('../../node_modules', import.meta.url).pathname;
const drizzleKit = join(nodeModules, 'drizzle-kit/bin.cjs');
const typeormCli = join(nodeModules, 'typeorm/cli.js');
const awsCredentials = { accessKeyId: 'AKIDEXAMPLETOOLS0001', secretAccessKey: 'test-secret-access-key-for-tools' };
const awsEnv = {
  AWS_ACCESS_KEY_ID: awsCredentials.accessKeyId,
  AWS_SECRET_ACCESS_KEY: awsCredentials.secretAccessKey,
  AWS_REGION: 'us-east-1',
};

let emulator: SecretsManagerEmulator;
let role: TestRole;
let config: string;

/** A project folder as a user has one: its files, and the packages it installed (this repository's). */
function project(prefix: string): string {
  const path = mkdtempSync(join(folder, prefix));
  symlinkSync(nodeModules, join(path, 'node_modules'), 'dir');
  return path;
}

/**
 * Rotates the secret (ALTER ROLE, then AWSCURRENT moves) and checks the URL of before no longer logs in;
 * returns that stale URL.
 */
async function rotate(): Promise<string> {
  const stale = await runCli(['url', '--config', config], awsEnv);
  expect(stale.code).toBe(0);
  const client = new SecretsManagerClient({
    region: 'us-east-1',
    endpoint: emulator.endpoint,
    credentials: awsCredentials,
  });
  try {
    await rotateSecret({
      client,
      secretId: 'tools/app',
      admin: (sql) => database.server.admin(sql),
      server: { host: database.server.host, port: database.server.port, database: role.username },
      strategy: 'single-user',
    });
  } finally {
    client.destroy();
  }
  await expect(new pg.Client({ connectionString: stale.stdout.trim() }).connect()).rejects.toMatchObject({
    code: '28P01',
  });
  return stale.stdout.trim();
}

/** The tool run directly, as without exec, with a URL saved before the rotation. */
function withStaleUrl(args: string[], url: string): { code: number | null; output: string } {
  const run = spawnSync(process.execPath, args, { env: { ...process.env, DATABASE_URL: url }, encoding: 'utf8' });
  return { code: run.status, output: `${run.stdout}${run.stderr}` };
}

function tables(schema: string): Promise<string[]> {
  return tablesIn(database.server, role.username, schema);
}

beforeAll(async () => {
  emulator = await new SecretsManagerEmulator().start();
  role = await createTestRole(database.server, 'tools');
  emulator.createSecret('tools/app', { username: role.username, password: role.password });
  config = join(folder, 'config.yaml');
  writeFileSync(
    config,
    `connections:\n  default:\n    dsn: "${role.bareDsn}"\n    secrets_manager:\n      secret_id: tools/app\n      region: us-east-1\n      endpoint: ${emulator.endpoint}\n`,
  );
});
afterAll(() => emulator.stop());

describe('migration tools under nestjs-rotating-pg exec, after a Secrets Manager rotation', () => {
  it('drizzle-kit migrate, with a drizzle.config that reads DATABASE_URL and a migrations folder of SQL', async () => {
    const path = project('drizzle-');
    const out = join(path, 'drizzle');
    mkdirSync(join(out, 'meta'), { recursive: true });
    writeFileSync(
      join(out, '0000_create_drizzle_things.sql'),
      'CREATE TABLE drizzle_things (id int PRIMARY KEY);\n--> statement-breakpoint\nCREATE INDEX drizzle_things_id ON drizzle_things (id);\n',
    );
    writeFileSync(
      join(out, 'meta', '_journal.json'),
      JSON.stringify({
        version: '7',
        dialect: 'postgresql',
        entries: [
          { idx: 0, version: '7', when: 1_700_000_000_000, tag: '0000_create_drizzle_things', breakpoints: true },
        ],
      }),
    );
    const drizzleConfig = join(path, 'drizzle.config.mjs');
    writeFileSync(
      drizzleConfig,
      `export default { dialect: 'postgresql', out: ${JSON.stringify(out)}, dbCredentials: { url: process.env.DATABASE_URL } };\n`,
    );
    const tool = [drizzleKit, 'migrate', '--config', drizzleConfig];
    // drizzle-kit's progress display shows no error, only the exit status does.
    expect(withStaleUrl(tool, await rotate()).code).not.toBe(0);
    expect(await tables('public')).not.toContain('drizzle_things');

    const run = await runCli(['exec', '--config', config, '--', process.execPath, ...tool], awsEnv);
    expect({ code: run.code, output: `${run.stdout}${run.stderr}` }).toMatchObject({
      code: 0,
      output: expect.stringMatching(/migrations applied successfully/i),
    });
    expect(await tables('public')).toContain('drizzle_things');
    expect(await tables('drizzle')).toEqual(['__drizzle_migrations']);
  });

  it('the TypeORM CLI migration:run, with an ESM DataSource that reads DATABASE_URL and a JavaScript migration', async () => {
    const path = project('typeorm-');
    mkdirSync(join(path, 'migrations'));
    writeFileSync(
      join(path, 'migrations', '1700000000000-CreateTypeormThings.mjs'),
      `export class CreateTypeormThings1700000000000 {\n` +
        `  async up(queryRunner) { await queryRunner.query('CREATE TABLE typeorm_things (id int PRIMARY KEY)'); }\n` +
        `  async down(queryRunner) { await queryRunner.query('DROP TABLE typeorm_things'); }\n` +
        `}\n`,
    );
    const dataSource = join(path, 'data-source.mjs');
    writeFileSync(
      dataSource,
      `import { DataSource } from 'typeorm';\n` +
        `import { CreateTypeormThings1700000000000 } from './migrations/1700000000000-CreateTypeormThings.mjs';\n` +
        `export default new DataSource({ type: 'postgres', url: process.env.DATABASE_URL, extra: { max: 1 }, ` +
        `migrations: [CreateTypeormThings1700000000000] });\n`,
    );
    const tool = [typeormCli, 'migration:run', '-d', dataSource];
    const stale = withStaleUrl(tool, await rotate());
    expect(stale.code).not.toBe(0);
    expect(stale.output).toMatch(/password authentication failed/);

    const run = await runCli(['exec', '--config', config, '--', process.execPath, ...tool], awsEnv);
    expect({ code: run.code, output: `${run.stdout}${run.stderr}` }).toMatchObject({
      code: 0,
      output: expect.stringMatching(/Migration CreateTypeormThings1700000000000 has been {1,2}executed successfully/),
    });
    expect(await tables('public')).toEqual(expect.arrayContaining(['migrations', 'typeorm_things']));
  });
});

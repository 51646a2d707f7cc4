import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { runCli } from '../support/cli.js';
import { tablesIn } from '../support/tables.js';
import { createTestRole, newPassword, setPassword, type TestRole, useTestDatabase } from '../support/roles.js';
import { useTempFolder } from '../support/temp-folder.js';

const database = useTestDatabase('optmod');
const folder = useTempFolder('exec-module-');
const nodePgMigrate = new URL('../../node_modules/node-pg-migrate/bin/node-pg-migrate.js', import.meta.url).pathname;

/**
 * Issue 23 (b): `--config db.config.mjs`, whose options hold what YAML cannot: a credential provider of the
 * app's own. This one reads the password a rotation job writes to a file, at each fetch.
 */
describe('nestjs-rotating-pg exec with the options from a JavaScript module', () => {
  let role: TestRole;
  let passwordFile: string;
  let config: string;

  beforeAll(async () => {
    role = await createTestRole(database.server, 'modcfg');
    passwordFile = join(folder, 'password');
    writeFileSync(passwordFile, role.password, { mode: 0o600 });
    config = join(folder, 'db.config.mjs');
    writeFileSync(
      config,
      `import { readFile } from 'node:fs/promises';\n` +
        `// As a forRootAsync factory: a function, async, returning the options; more than one connection.\n` +
        `export default async () => [\n` +
        `  { dsn: 'postgresql://nobody@127.0.0.1:1/none', password: 'unused' },\n` +
        `  {\n` +
        `    name: 'migrations',\n` +
        `    dsn: ${JSON.stringify(role.bareDsn)},\n` +
        `    credentialProvider: {\n` +
        `      name: 'password-file',\n` +
        `      fetch: async () => ({ username: ${JSON.stringify(role.username)}, password: (await readFile(${JSON.stringify(passwordFile)}, 'utf8')).trim() }),\n` +
        `    },\n` +
        `  },\n` +
        `];\n`,
    );
  });

  it("runs psql, then, after a rotation, node-pg-migrate with the provider's new password", async () => {
    const exec = ['exec', '--config', config, '--connection', 'migrations', '--'];
    const before = await runCli([...exec, 'psql', '-XAtc', 'SELECT current_user']);
    expect(before).toEqual({ code: 0, stdout: `${role.username}\n`, stderr: '' });

    const rotated = newPassword();
    await setPassword(database.server, role.username, rotated);
    writeFileSync(passwordFile, rotated);
    // The password of the first run no longer logs in: only a fresh fetch can.
    await expect(new pg.Client({ connectionString: role.dsn }).connect()).rejects.toMatchObject({ code: '28P01' });

    const migrations = mkdtempSync(join(folder, 'migrations-'));
    writeFileSync(
      join(migrations, '1700000000000_create-module_things.sql'),
      '-- Up Migration\nCREATE TABLE module_things (id int PRIMARY KEY);\n-- Down Migration\nDROP TABLE module_things;\n',
    );
    const after = await runCli([...exec, process.execPath, nodePgMigrate, 'up', '-m', migrations]);
    expect(after.stdout).toMatch(/Migrations complete!/);
    expect(after.code).toBe(0);
    expect(`${after.stdout}${after.stderr}`).not.toContain(rotated);

    expect(await tablesIn(database.server, role.username)).toEqual(['module_things', 'pgmigrations']);
  });

  it('doctor and url read the same module', async () => {
    const doctor = await runCli(['doctor', '--config', config, '--connection', 'migrations', '--json']);
    expect(JSON.parse(doctor.stdout)).toMatchObject({ source: config, connection: 'migrations', ok: true });
    const url = await runCli(['url', '--config', config, '--connection', 'migrations']);
    expect(url.code).toBe(0);
    const client = new pg.Client({ connectionString: url.stdout.trim() });
    await client.connect();
    const { rows } = await client.query<{ user: string }>('SELECT current_user AS user');
    await client.end();
    expect(rows[0]!.user).toBe(role.username);
  });

  it('stops before the command, naming the file, when the module has no such connection', async () => {
    const run = await runCli(['exec', '--config', config, '--connection', 'reports', '--', 'true']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`${config}: no connection named "reports"; it has "default", "migrations"`);
  });
});

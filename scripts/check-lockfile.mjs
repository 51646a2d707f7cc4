#!/usr/bin/env node
// Lockfile guard: every installable entry of package-lock.json must carry a `version` and an
// `integrity`. An entry without them (a stub such as `{"dev": true, "optional": true}`, which
// npm 11.13 writes for optional packages it could not fetch) makes a fresh `npm ci` stop with
// "Invalid Version:", yet a CI run can still pass where npm's cache hides it. So CI checks the
// file itself, before `npm ci`, and names each bad entry. No dependencies: it runs before any.
//
// Usage: node scripts/check-lockfile.mjs [path/to/package-lock.json]
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * The `packages` keys of a parsed lockfile that lack a `version` or an `integrity`. Not checked:
 * the root (""), links (`link: true`, a workspace or `file:` folder) and packages bundled inside
 * another's tarball (`inBundle: true`): npm records no integrity for those, by design.
 */
export function incompleteEntries(lock) {
  return Object.entries(lock.packages ?? {})
    .filter(([key, entry]) => key !== '' && !entry.link && !entry.inBundle)
    .filter(([, entry]) => !entry.version || !entry.integrity)
    .map(([key, entry]) => ({ key, missing: ['version', 'integrity'].filter((field) => !entry[field]) }));
}

function main() {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const path = resolve(process.argv[2] ?? resolve(root, 'package-lock.json'));
  const lock = JSON.parse(readFileSync(path, 'utf8'));
  if (lock.lockfileVersion < 2 || !lock.packages) {
    console.error(`${path}: lockfileVersion ${lock.lockfileVersion} has no "packages" map; run npm run lock`);
    return 1;
  }
  const bad = incompleteEntries(lock);
  if (bad.length === 0) {
    console.log(`${path}: all ${Object.keys(lock.packages).length - 1} entries complete`);
    return 0;
  }
  console.error(
    `${path}: ${bad.length} entr${bad.length === 1 ? 'y lacks' : 'ies lack'} a version or integrity, so a fresh npm ci fails:`,
  );
  for (const { key, missing } of bad) console.error(`  ${key} (no ${missing.join(', no ')})`);
  console.error('Run npm run lock, which drops such entries and resolves them again.');
  return 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) process.exitCode = main();

#!/usr/bin/env node
// `npm run lock`: rewrites package-lock.json from package.json and checks it is complete.
//
// The npm is pinned (11.13.0) because npm 11.16+ leaves out optional packages the registry's
// answer does not cover (other platforms' native bindings) and its own `npm ci` then refuses the
// file (npm/cli#9846). 11.13 keeps them, but when it cannot fetch one it writes a stub without
// `version` or `integrity`, which breaks a fresh `npm ci` with "Invalid Version:". npm itself stops
// at such a stub, so they are dropped before npm runs, which makes it resolve those packages
// afresh; this repeats while npm writes new stubs (a few rounds at most), then the guard
// (scripts/check-lockfile.mjs) decides.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { incompleteEntries } from './check-lockfile.mjs';

const NPM = 'npm@11.13.0';
const ROUNDS = 3;
const root = fileURLToPath(new URL('..', import.meta.url));
const lockPath = `${root}package-lock.json`;

function resolveLock() {
  execFileSync('npx', ['--yes', NPM, 'install', '--package-lock-only', '--ignore-scripts', '--no-audit', '--no-fund'], {
    cwd: root,
    stdio: 'inherit',
  });
}

/** Removes the lock's incomplete entries (npm itself stops at them); how many there were. */
function dropStubs() {
  const lock = JSON.parse(readFileSync(lockPath, 'utf8'));
  const stubs = incompleteEntries(lock);
  for (const { key } of stubs) delete lock.packages[key];
  if (stubs.length > 0) writeFileSync(lockPath, `${JSON.stringify(lock, null, 2)}\n`);
  return stubs.length;
}

for (let round = 1; round <= ROUNDS; round++) {
  const dropped = dropStubs();
  if (dropped > 0)
    console.log(`lock: dropped ${dropped} incomplete entr${dropped === 1 ? 'y' : 'ies'}; npm resolves them again`);
  else if (round > 1) break;
  resolveLock();
}
// The guard names whatever is still incomplete and fails.
process.exitCode =
  spawnSync(process.execPath, [`${root}scripts/check-lockfile.mjs`, lockPath], { stdio: 'inherit' }).status ?? 1;

import { Test, type TestingModule } from '@nestjs/testing';
import type { Pool } from 'pg';
import { DatabaseModule, DbService, getPgPoolToken } from '../../src/index.js';
import type { TestPostgres } from '../../src/testing/index.js';
import { every, type LoadResult, runLoad } from './load.js';
import { SwitchableProvider } from './providers.js';
import { createTestRole, newPassword, setPassword, type TestRole } from './roles.js';

export type RotationKind = 'password' | 'username';

/**
 * A connection whose credentials the test rotates. `password`: the role's password changes in
 * the database first and the provider learns of it afterwards, so logins are refused until the
 * pool recovers. `username`: Secrets Manager's alternating-users strategy between a role and its
 * clone (a member of the role, so it can use the role's tables), which moves the pool to a new
 * generation.
 */
export interface RotatingDatabase {
  db: DbService;
  /** The owner of the database and its tables. */
  owner: TestRole;
  rotations: number;
  rotate(): Promise<void>;
}

/** Short lifetimes, so new logins (and refusals) happen all through a run. */
const SHORT_LIVED = { maxOpenConnections: 8, maxIdleConnections: 4, connectionMaxLifetime: '1s' } as const;

export async function createRotatingDatabase(server: TestPostgres, kind: RotationKind): Promise<RotatingDatabase> {
  const owner = await createTestRole(server, 'orm');
  const clone = await createTestRole(server, 'orm_clone');
  await server.admin(`GRANT ${owner.username} TO ${clone.username}`);
  const provider = new SwitchableProvider(owner.username, owner.password);
  const db = await DbService.create({ dsn: owner.bareDsn, credentialProvider: provider, ...SHORT_LIVED });
  const roles = [owner, clone];
  const rotating: RotatingDatabase = {
    db,
    owner,
    rotations: 0,
    async rotate() {
      const next = kind === 'password' ? owner : roles[(rotating.rotations + 1) % 2]!;
      const password = newPassword();
      await setPassword(server, next.username, password);
      rotating.rotations++;
      provider.publish({ username: next.username, password }, `v${rotating.rotations}`);
      // A new username is only learnt on a refresh (a password change also through a refused login).
      if (kind === 'username') await db.refreshCredentials();
    },
  };
  return rotating;
}

/** Rotations every ORM run goes through. */
const MIN_ROTATIONS = 4;

export interface RotationRun {
  load: LoadResult;
  rotations: number;
}

/**
 * `work` from `concurrency` workers for `durationMs` while the credentials rotate every
 * `rotateEveryMs`. The caller asserts on the outcome (0 failed operations).
 */
export async function runThroughRotations(
  database: RotatingDatabase,
  work: (worker: number) => Promise<unknown>,
  { concurrency = 16, durationMs = 8_000, rotateEveryMs = 1_500 } = {},
): Promise<RotationRun> {
  const rotator = every(rotateEveryMs, () => database.rotate());
  // On a loaded machine each rotation takes longer: the load goes on until enough have happened.
  const load = await runLoad(concurrency, durationMs, work, {
    until: () => database.rotations >= MIN_ROTATIONS,
    maxMs: 4 * durationMs,
  });
  await rotator.stop();
  // The README's ORM table is refreshed from these lines: REPORT_FIGURES=1 npx jest test/orm
  if (process.env.REPORT_FIGURES) {
    process.stdout.write(
      `FIGURES ${expect.getState().currentTestName}: ${load.succeeded} ok, ${load.failed} failed, ${database.rotations} rotations\n`,
    );
  }
  return { load, rotations: database.rotations };
}

/** Invariant 2 through an ORM: every operation of every worker succeeded, across several rotations. */
export function expectNoFailedOperations({ load, rotations }: RotationRun): void {
  expect(load.errors).toEqual([]);
  expect(load.failed).toBe(0);
  expect(load.succeeded).toBeGreaterThan(100);
  expect(rotations).toBeGreaterThanOrEqual(MIN_ROTATIONS);
}

/**
 * A Nest app with `DatabaseModule` and one provider built from the connection's pg.Pool, the
 * way the README wires an ORM. `close()` runs Nest's shutdown (the ORM's hooks, then ours).
 */
export async function bootWithPoolProvider<T>(
  dsn: string,
  token: string,
  build: (pool: Pool) => T,
): Promise<{ app: TestingModule; orm: T }> {
  const app = await Test.createTestingModule({
    imports: [DatabaseModule.forRoot({ dsn })],
    providers: [{ provide: token, useFactory: build, inject: [getPgPoolToken()] }],
  }).compile();
  await app.init();
  return { app, orm: app.get<T>(token) };
}

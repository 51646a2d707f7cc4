import fc from 'fast-check';
import type pg from 'pg';
import type { TimerHandle } from '../../src/clock.js';
import { RotatingPgError } from '../../src/errors/errors.js';
import { type Harness, poolHarness } from '../support/pool-harness.js';
import type { StandInClient } from '../support/stand-in-pg.js';

/**
 * Model-based test of the pool's promises: fast-check drives random interleavings of checkouts,
 * releases (healthy, broken, inside an open or aborted transaction, right after an error),
 * password and username rotations (with the source lagging behind the database), a wrong
 * password, source failures, killed backends, an unreachable server, clock advances and end(),
 * and after every step checks the invariants against the stand-in server's own view.
 *
 * Seeded: MODEL_SEED=<n> replays a run, MODEL_RUNS=<n> explores more. A failure prints the seed,
 * the path and the shrunk command list.
 */
const LIFETIME_MS = 6_000;
const OPTIONS = {
  maxOpenConnections: 3,
  maxIdleConnections: 1,
  connectionMaxLifetimeMs: LIFETIME_MS,
  connectionMaxLifetimeJitterMs: 600,
  connectionMaxIdleTimeMs: 3_000,
  connectionTimeoutMs: 2_000,
};
const KILLED = 'terminating connection due to administrator command';

interface Checkout {
  startedAt: number;
  settled: boolean;
}

interface Model {
  /** Clients the application holds. */
  held: StandInClient[];
  checkouts: Checkout[];
  /** Clients given back inside a transaction: never to be handed out again. */
  dirty: Set<StandInClient>;
  violations: string[];
  user: 'app' | 'app_clone';
  passwordCounter: number;
  /** The test's own timers (a source catching up late), cleared before the end check. */
  testTimers: TimerHandle[];
  ended?: Promise<void>;
}

type Real = Harness;
type Command = fc.AsyncCommand<Model, Real>;

/** Lets every promise and microtask the last step started run to its end. */
async function settle(real: Real): Promise<void> {
  await real.clock.advance(0);
}

function track(model: Model, real: Real, checkout: Promise<pg.PoolClient>): void {
  const entry: Checkout = { startedAt: real.clock.now(), settled: false };
  model.checkouts.push(entry);
  checkout.then(
    (client) => {
      entry.settled = true;
      const standIn = client as unknown as StandInClient;
      const problems = [
        !standIn.loggedIn && 'not logged in',
        standIn.ended && 'socket closed',
        !real.server.sockets.has(standIn) && 'backend gone',
        standIn.serverTxStatus !== 'I' && `session in state ${standIn.serverTxStatus}`,
        model.dirty.has(standIn) && 'given back inside a transaction before',
        real.clock.now() - standIn.loggedInAt >= LIFETIME_MS && 'past its lifetime',
        model.held.includes(standIn) && 'already held by another checkout',
      ].filter(Boolean);
      if (problems.length > 0) model.violations.push(`handed out a client that is ${problems.join(', ')}`);
      if (model.ended) model.violations.push('handed out a client after end()');
      model.held.push(standIn);
    },
    (error: unknown) => {
      entry.settled = true;
      if (!(error instanceof RotatingPgError))
        model.violations.push(`a checkout failed with an untyped error: ${String(error)}`);
    },
  );
}

const checkout = (): Command => ({
  check: (model) => !model.ended,
  async run(model, real) {
    track(model, real, real.pool.acquire());
    await settle(real);
  },
  toString: () => 'checkout',
});

/**
 * A query through the pg.Pool ORMs use; FAIL fails with an ERROR
 * (the session stays usable), 'BEGIN; FAIL' leaves it aborted.
 */
const poolQuery = (statement: 'SELECT 1' | 'FAIL' | 'BEGIN; FAIL'): Command => ({
  check: (model) => !model.ended,
  async run(model, real) {
    const startedAt = real.clock.now();
    const entry: Checkout = { startedAt, settled: false };
    model.checkouts.push(entry);
    real.pgPool.query(statement).then(
      () => (entry.settled = true),
      () => (entry.settled = true),
    );
    await settle(real);
  },
  toString: () => `pool.query(${statement})`,
});

type ReleaseMode = 'healthy' | 'destroy' | 'open transaction' | 'aborted transaction' | 'after an error';

const release = (pick: number, mode: ReleaseMode): Command => ({
  check: (model) => model.held.length > 0,
  async run(model, real) {
    const [client] = model.held.splice(pick % model.held.length, 1);
    const pgClient = client as unknown as pg.PoolClient;
    if (mode === 'destroy') return pgClient.release(true);
    if (mode === 'open transaction' || mode === 'aborted transaction') {
      await pgClient.query('BEGIN').catch(() => undefined);
      if (mode === 'aborted transaction') await pgClient.query('FAIL').catch(() => undefined);
      model.dirty.add(client!);
    }
    if (mode === 'after an error') await pgClient.query('FAIL').catch(() => undefined);
    pgClient.release();
    await settle(real);
  },
  toString: () => `release #${pick} (${mode})`,
});

/** The database takes a new password; the source catches up after `lagMs` (never, for a wrong password everywhere). */
const rotatePassword = (lagMs: number | 'never'): Command => ({
  check: () => true,
  async run(model, real) {
    const password = `pw-${++model.passwordCounter}`;
    real.server.passwords.set(model.user, password);
    const user = model.user;
    const learn = () => (real.source.credentials = { username: user, password });
    if (lagMs === 0) learn();
    else if (lagMs !== 'never') model.testTimers.push(real.clock.setTimeout(learn, lagMs));
    await settle(real);
  },
  toString: () => `rotate password (source ${lagMs === 'never' ? 'never learns' : `learns after ${lagMs} ms`})`,
});

/** Alternating users: the clone gets a password, the source switches to it, the old user keeps working. */
const rotateUsername = (): Command => ({
  check: () => true,
  async run(model, real) {
    model.user = model.user === 'app' ? 'app_clone' : 'app';
    const password = `pw-${++model.passwordCounter}`;
    real.server.passwords.set(model.user, password);
    real.source.credentials = { username: model.user, password };
    void real.cache.refresh('manual').catch(() => undefined);
    await settle(real);
  },
  toString: () => 'rotate username',
});

const sourceFailing = (failing: boolean): Command => ({
  check: () => true,
  async run(_model, real) {
    real.source.failing = failing;
    await settle(real);
  },
  toString: () => (failing ? 'source starts failing' : 'source recovers'),
});

const serverReachable = (reachable: boolean): Command => ({
  check: () => true,
  async run(_model, real) {
    real.server.unreachable = !reachable;
    await settle(real);
  },
  toString: () => (reachable ? 'server reachable' : 'server unreachable'),
});

const loginsBreakHalfWay = (breaking: boolean): Command => ({
  check: () => true,
  async run(_model, real) {
    real.server.loginsBreakHalfWay = breaking;
    await settle(real);
  },
  toString: () => (breaking ? 'logins break half-way' : 'logins complete'),
});

const killBackend = (pick: number): Command => ({
  check: () => true,
  async run(_model, real) {
    const sockets = [...real.server.sockets].filter((socket) => socket.loggedIn);
    sockets[pick % Math.max(1, sockets.length)]?.kill();
    await settle(real);
  },
  toString: () => `kill backend #${pick}`,
});

const advance = (ms: number): Command => ({
  check: () => true,
  async run(_model, real) {
    await real.clock.advance(ms);
  },
  toString: () => `advance ${ms} ms`,
});

const end = (): Command => ({
  check: (model) => !model.ended,
  async run(model, real) {
    model.ended = real.pool.end();
    await settle(real);
  },
  toString: () => 'end()',
});

const commands = fc.commands(
  [
    fc.constant(null).map(() => withInvariants(checkout())),
    fc.constant(null).map(() => withInvariants(checkout())),
    fc
      .constantFrom<'SELECT 1' | 'FAIL' | 'BEGIN; FAIL'>('SELECT 1', 'FAIL', 'BEGIN; FAIL')
      .map((statement) => withInvariants(poolQuery(statement))),
    fc
      .tuple(
        fc.nat(7),
        fc.constantFrom<ReleaseMode>(
          'healthy',
          'healthy',
          'destroy',
          'open transaction',
          'aborted transaction',
          'after an error',
        ),
      )
      .map(([pick, mode]) => withInvariants(release(pick, mode))),
    fc
      .tuple(
        fc.nat(7),
        fc.constantFrom<ReleaseMode>(
          'healthy',
          'healthy',
          'destroy',
          'open transaction',
          'aborted transaction',
          'after an error',
        ),
      )
      .map(([pick, mode]) => withInvariants(release(pick, mode))),
    fc.constantFrom<number | 'never'>(0, 300, 1_500, 'never').map((lag) => withInvariants(rotatePassword(lag))),
    fc.constant(null).map(() => withInvariants(rotateUsername())),
    fc.boolean().map((failing) => withInvariants(sourceFailing(failing))),
    fc.boolean().map((reachable) => withInvariants(serverReachable(reachable))),
    fc.boolean().map((breaking) => withInvariants(loginsBreakHalfWay(breaking))),
    fc.nat(7).map((pick) => withInvariants(killBackend(pick))),
    fc.constantFrom(0, 1, 4, 10, 300, 1_000, 2_100, 3_500, 7_000).map((ms) => withInvariants(advance(ms))),
    // end() once in about 14 steps: after it, most steps only watch the pool drain.
    fc.constant(null).map(() => withInvariants(end())),
  ],
  { maxCommands: 60 },
);

/** The promises, checked after every step against the server's view and the model. */
function checkInvariants(model: Model, real: Real): void {
  const stats = real.pool.stats();
  const now = real.clock.now();
  expect(model.violations).toEqual([]);
  // The cap holds across users, counted as the server sees sockets (logging in or logged in).
  expect(real.server.sockets.size).toBeLessThanOrEqual(OPTIONS.maxOpenConnections);
  expect(stats.openConnections).toBeLessThanOrEqual(OPTIONS.maxOpenConnections);
  // No socket the pool does not know of: a half-finished login would be one. One still closing is counted until the
  // server has closed it.
  expect(real.server.sockets.size).toBeLessThanOrEqual(stats.openConnections);
  // stats agree with the model.
  expect(stats.idle + model.held.length).toBeLessThanOrEqual(stats.inUse + stats.idle);
  expect(stats.inUse + stats.idle).toBeLessThanOrEqual(stats.openConnections);
  const unsettled = model.checkouts.filter((entry) => !entry.settled);
  expect(stats.waiting).toBeLessThanOrEqual(unsettled.length);
  // Every checkout settles within connectionTimeout.
  for (const entry of unsettled) expect(now - entry.startedAt).toBeLessThanOrEqual(OPTIONS.connectionTimeoutMs);
  // Only real failures are emitted as 'error'.
  for (const error of real.poolErrors) expect(error.message).toBe(KILLED);
  // No secret in stats.
  expect(JSON.stringify(stats)).not.toMatch(/pw-\d|first/);
}

async function runToEnd(model: Model, real: Real): Promise<void> {
  for (const timer of model.testTimers) real.clock.clearTimeout(timer);
  const ending = model.ended ?? real.pool.end();
  for (const client of model.held.splice(0)) (client as unknown as pg.PoolClient).release();
  let done = false;
  void ending.then(() => (done = true));
  for (let step = 0; step < 100 && !done; step++) await real.clock.advance(1_000);
  expect(done).toBe(true);
  expect(model.checkouts.filter((entry) => !entry.settled)).toEqual([]);
  expect(real.server.sockets.size).toBe(0);
  expect(real.pool.stats().openConnections).toBe(0);
  // Nothing left running: no timer of the pool or the credential cache.
  expect(real.clock.pending).toBe(0);
}

describe('the pool under random interleavings (model-based)', () => {
  it('keeps every invariant after every step, and leaves nothing behind after end()', async () => {
    const seed = process.env.MODEL_SEED ? Number(process.env.MODEL_SEED) : 20_261_202;
    const numRuns = process.env.MODEL_RUNS ? Number(process.env.MODEL_RUNS) : 1_000;
    await fc.assert(
      fc.asyncProperty(
        commands,
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 0, max: 40 }),
        fc.constantFrom(0, 0, 1, 3, 20),
        async (steps, loginMs, fetchMs, closeMs) => {
          const real = await poolHarness(OPTIONS, () => 0.5);
          real.server.loginMs = loginMs;
          real.source.fetchMs = fetchMs;
          real.server.closeMs = closeMs;
          real.server.passwords.set('app_clone', 'unused');
          const model: Model = {
            held: [],
            checkouts: [],
            dirty: new Set(),
            violations: [],
            user: 'app',
            passwordCounter: 0,
            testTimers: [],
          };
          await fc.asyncModelRun(() => ({ model, real }), steps);
          await runToEnd(model, real);
        },
      ),
      { seed, numRuns, verbose: 1 },
    );
  }, 120_000);
});

function withInvariants(command: Command): Command {
  return {
    check: (model) => command.check(model),
    async run(model, real) {
      if (process.env.MODEL_TRACE) process.stderr.write(`${command.toString()}\n`);
      await command.run(model, real);
      checkInvariants(model, real);
    },
    toString: () => command.toString(),
  };
}

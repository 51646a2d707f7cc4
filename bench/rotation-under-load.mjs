// Rotation under load (issue 13 items 2 and 5, Secrets Manager part) for `npm run bench`: the
// password is rotated every 5 s through the Secrets Manager emulator, AWS's four steps with a 2 s
// window between setSecret (the database wants the new password) and finishSecret (AWSCURRENT
// moves), while 32 callers run `SELECT 1`. Ours against the peers a user would reach for, one
// after another on the same server, each with its own role, secret and emulator.
// Run alone: `npm run build && node --expose-gc bench/rotation-under-load.mjs`.
import { pathToFileURL } from 'node:url';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { Logger } from '@nestjs/common';
import pg from 'pg';
import { DbService } from 'nestjs-rotating-pg';
import { rotateSecret, SecretsManagerEmulator, startTestPostgres } from 'nestjs-rotating-pg/testing';
import {
  captureOutput,
  countLogins,
  describeOutput,
  drive,
  fixed,
  LoadRecorder,
  settledHeap,
  setupAndFailures,
} from './load-kit.mjs';

const RUN_MS = Number(process.env.BENCH_ROTATION_MS ?? 60_000);
const WARMUP_MS = 3_000;
/** The static-password baseline run just before each contender (its ratio is taken against that one). */
const BASELINE_MS = 4_000;
const CONCURRENCY = 32;
const POOL_SIZE = 10;
const ROTATE_EVERY_MS = 5_000;
const WINDOW_MS = 2_000;
/**
 * Every contender recycles its connections after 3 s, so that logins keep happening through the
 * windows (3 s against a 5 s rotation period puts them at every phase). With the 14m default no
 * pool would log in again within a minute, and every contender would show zero failures.
 */
const LIFETIME_S = 3;
/** Knex's `expirationChecker`: the secret read is reused this long for new connections. */
const KNEX_SECRET_TTL_MS = 1_000;
const REGION = 'us-east-1';

// The emulator does not check signatures, but the SDK wants credentials to sign with.
process.env.AWS_ACCESS_KEY_ID ??= 'AKIDEXAMPLEBENCH0001';
process.env.AWS_SECRET_ACCESS_KEY ??= 'bench-secret-access-key';

/** Reads `{ username, password }` from AWSCURRENT, as the peers' own code does. */
async function readCurrent(client, secretId) {
  const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
  return JSON.parse(SecretString);
}

/** Each contender: a pool on the secret; `query` runs one statement; `close` ends everything it opened. */
const contenders = {
  'DbService (ours)': {
    config: `\`secretsManager: { secretId, region, endpoint }\`, \`connectionMaxLifetime: '${LIFETIME_S}s'\`, defaults otherwise`,
    async make({ address, secretId, endpoint }) {
      const db = await DbService.create({
        ...address,
        secretsManager: { secretId, region: REGION, endpoint },
        maxOpenConnections: POOL_SIZE,
        connectionMaxLifetime: `${LIFETIME_S}s`,
      });
      return { query: () => db.query('SELECT 1'), close: () => db.onApplicationShutdown() };
    },
  },
  'DIY pg.Pool (async password reading AWSCURRENT, maxLifetimeSeconds)': {
    config: `\`new pg.Pool({ user, password: async () => (await GetSecretValue(AWSCURRENT)).password, maxLifetimeSeconds: ${LIFETIME_S}, max: ${POOL_SIZE} })\``,
    async make({ address, secretId, endpoint, username }) {
      const client = new SecretsManagerClient({ region: REGION, endpoint });
      const pool = new pg.Pool({
        ...address,
        user: username,
        password: async () => (await readCurrent(client, secretId)).password,
        max: POOL_SIZE,
        maxLifetimeSeconds: LIFETIME_S,
      });
      pool.on('error', () => undefined);
      return { query: () => pool.query('SELECT 1'), close: async () => (await pool.end(), client.destroy()) };
    },
  },
  'Knex 3 (async connection + expirationChecker)': {
    config: `\`connection: async () => ({ ...AWSCURRENT, expirationChecker: () => Date.now() > readAt + ${KNEX_SECRET_TTL_MS} })\`, \`pool: { max: ${POOL_SIZE}, maxConnectionLifetimeMillis: ${LIFETIME_S * 1000} }\``,
    async make({ address, secretId, endpoint }) {
      const { default: knex } = await import('knex');
      const client = new SecretsManagerClient({ region: REGION, endpoint });
      const db = knex({
        client: 'pg',
        connection: async () => {
          const { username, password } = await readCurrent(client, secretId);
          const readAt = Date.now();
          return {
            ...address,
            user: username,
            password,
            expirationChecker: () => Date.now() > readAt + KNEX_SECRET_TTL_MS,
          };
        },
        pool: { max: POOL_SIZE, maxConnectionLifetimeMillis: LIFETIME_S * 1000 },
      });
      return { query: () => db.raw('SELECT 1'), close: async () => (await db.destroy(), client.destroy()) };
    },
  },
  'AWS Advanced NodeJS Wrapper 2 (secretsManager plugin, AwsPgPoolClient)': {
    config: `\`new AwsPgPoolClient({ plugins: 'secretsManager', secretId, secretRegion, secretEndpoint, dialect: 'pg' }, new AwsPoolConfig({ maxConnections: ${POOL_SIZE}, maxLifetimeSeconds: ${LIFETIME_S} }))\``,
    async make({ address, secretId, endpoint }) {
      const { AwsPgPoolClient } = await import('aws-advanced-nodejs-wrapper/pg');
      const { AwsPoolConfig, PluginManager } = await import('aws-advanced-nodejs-wrapper');
      // Only the plugin under test: the default chain (failover, efm2) is for Aurora clusters.
      // `dialect: 'pg'` skips the RDS/Aurora detection queries on every connect.
      const pool = new AwsPgPoolClient(
        {
          ...address,
          plugins: 'secretsManager',
          secretId,
          secretRegion: REGION,
          secretEndpoint: endpoint,
          dialect: 'pg',
        },
        new AwsPoolConfig({ maxConnections: POOL_SIZE, maxLifetimeSeconds: LIFETIME_S }),
      );
      // Its guide: end the pool, then PluginManager.releaseResources() for the shared resources.
      return {
        query: () => pool.query('SELECT 1'),
        close: async () => (await pool.end(), await PluginManager.releaseResources()),
      };
    },
  },
};

/** A role and a secret holding its password, in a fresh emulator (so its call counter is this contender's). */
async function setUp(server, name) {
  const username = `rot_${name}`;
  const password = `initial-${Math.random().toString(36).slice(2)}`;
  await server.admin(`DROP ROLE IF EXISTS ${username}`);
  await server.admin(`CREATE ROLE ${username} LOGIN PASSWORD '${password}'`);
  const emulator = await new SecretsManagerEmulator(REGION).start();
  const secretId = `bench/${name}`;
  emulator.createSecret(secretId, { engine: 'postgres', username, password });
  const admin = new SecretsManagerClient({ region: REGION, endpoint: emulator.endpoint });
  return { username, emulator, admin, secretId };
}

const reads = (emulator) => emulator.calls.GetSecretValue ?? 0;

async function measure(server, name, contender, index) {
  const address = { host: server.host, port: server.port, database: 'postgres' };
  const { username, emulator, admin, secretId } = await setUp(server, `c${index}`);
  // The SDK's Node 20 notice is printed once per process: let the harness's own client take it.
  await readCurrent(admin, secretId);
  const recorder = new LoadRecorder(RUN_MS);
  const logins = countLogins(pg, username);
  const output = captureOutput();
  let client;
  try {
    client = await contender.make({ address, secretId, endpoint: emulator.endpoint, username });
    await drive({ query: client.query, concurrency: CONCURRENCY, durationMs: WARMUP_MS });
    const heapAfterWarmup = await settledHeap();
    const readsBefore = reads(emulator);
    const loginsBefore = logins.count;

    let rotating = false;
    const windows = [];
    const inside = { reads: 0, logins: 0 };
    let running = true;
    const startedAt = performance.now();
    const rotations = (async () => {
      for (let at = ROTATE_EVERY_MS; at + WINDOW_MS + 500 < RUN_MS; at += ROTATE_EVERY_MS) {
        const wait = startedAt + at - performance.now();
        if (wait < 0) continue; // the machine fell behind: skip to the next slot
        await new Promise((resolve) => setTimeout(resolve, wait));
        if (!running) break;
        const window = {};
        let readsAtSet = 0;
        let loginsAtSet = 0;
        await rotateSecret({
          client: admin,
          secretId,
          admin: server.admin,
          server: address,
          strategy: 'single-user',
          pauseAfterSetMs: WINDOW_MS,
          onStep: (step) => {
            if (step === 'setSecret') {
              window.from = (performance.now() - startedAt) / 1000;
              readsAtSet = reads(emulator);
              loginsAtSet = logins.count;
              rotating = true;
            }
            // Reads and logins are split where AWSCURRENT moves: a read after it gets the new
            // password even if its login ends after the window. (testSecret logged in once as the role.)
            if (step === 'finishSecret') {
              inside.reads += reads(emulator) - readsAtSet;
              inside.logins += logins.count - loginsAtSet - 1;
            }
          },
        });
        rotating = false;
        window.to = (performance.now() - startedAt) / 1000;
        windows.push(window);
      }
    })();
    // A failed rotation surfaces at `await rotations` below, not as an unhandled rejection meanwhile.
    rotations.catch(() => undefined);
    const elapsed = await drive({
      query: client.query,
      concurrency: CONCURRENCY,
      durationMs: RUN_MS,
      recorder,
      inWindow: () => rotating,
    });
    running = false;
    await rotations;
    const heapAfterRun = await settledHeap();
    // rotateSecret reads AWSCURRENT once itself: the pool's reads are the rest.
    const poolReads = reads(emulator) - readsBefore - windows.length;
    // testSecret logs in once per rotation as the same role.
    const poolLogins = logins.count - loginsBefore - windows.length;
    // Outside the windows: the pool's steady reading policy (rotateSecret's own read is outside too).
    const outside = { reads: poolReads - inside.reads, logins: poolLogins - inside.logins };
    return {
      name,
      recorder,
      windows,
      elapsed,
      poolReads,
      logins: poolLogins,
      inside,
      outside,
      heapAfterWarmup,
      heapAfterRun,
      output: output.release(),
    };
  } catch (error) {
    return { name, error, output: output.release() };
  } finally {
    logins.stop();
    await client?.close().catch(() => undefined);
    admin.destroy();
    await emulator.stop();
  }
}

/**
 * The same pool size and lifetime with a fixed password and no rotation, run just before each
 * contender, so that a busy machine's drift hits a contender and its baseline alike.
 */
async function baseline(server) {
  const pool = new pg.Pool({
    host: server.host,
    port: server.port,
    database: 'postgres',
    user: 'rot_static',
    password: 'static-password',
    max: POOL_SIZE,
    maxLifetimeSeconds: LIFETIME_S,
  });
  await drive({ query: () => pool.query('SELECT 1'), concurrency: CONCURRENCY, durationMs: 1_000 });
  const recorder = new LoadRecorder(BASELINE_MS);
  const elapsed = await drive({
    query: () => pool.query('SELECT 1'),
    concurrency: CONCURRENCY,
    durationMs: BASELINE_MS,
    recorder,
  });
  await pool.end();
  return { opsPerSecond: recorder.ok / (elapsed / 1000), p99: recorder.p99All() };
}

const mark = (met) => (met ? 'met' : '**missed**');

/** Runs every contender; returns the Markdown section and the data the charts and the scale table use. */
export async function rotationUnderLoad({ server }) {
  await server.admin('DROP ROLE IF EXISTS rot_static');
  await server.admin("CREATE ROLE rot_static LOGIN PASSWORD 'static-password'");
  const results = [];
  let index = 0;
  for (const [name, contender] of Object.entries(contenders)) {
    const base = await baseline(server);
    results.push({ ...(await measure(server, name, contender, index++)), base });
    process.stderr.write('.');
  }
  const rows = [];
  const notes = [];
  // The rotation steps, the emulator and the load share this process, which a static pool's run
  // does not; contenders are compared with each other, each under the same rotations.
  const oursOps = results[0].error ? Number.NaN : results[0].recorder.ok / (results[0].elapsed / 1000);
  for (const result of results) {
    if (result.error) {
      rows.push(
        `| ${result.name} | could not run: ${String(result.error.message ?? result.error)
          .replace(/\|/g, '\\|')
          .slice(0, 200)} |||||||||||`,
      );
      continue;
    }
    const {
      recorder,
      windows,
      elapsed,
      poolReads,
      logins,
      inside,
      outside,
      heapAfterWarmup,
      heapAfterRun,
      output,
      base,
    } = result;
    const ops = recorder.ok / (elapsed / 1000);
    const heapChange = (heapAfterRun - heapAfterWarmup) / heapAfterWarmup;
    result.summary = {
      opsPerSecond: ops,
      ratio: ops / oursOps,
      staticRatio: ops / base.opsPerSecond,
      failed: recorder.failed,
      failedInside: recorder.failedInside,
      p99Inside: recorder.p99Inside(),
      p99Outside: recorder.p99Outside(),
      readsPerRotation: windows.length ? poolReads / windows.length : Number.NaN,
      readsPerMinute: poolReads / (elapsed / 60_000),
      readsPerLogin: logins ? poolReads / logins : Number.NaN,
      readsPerLoginOutside: outside.logins ? outside.reads / outside.logins : Number.NaN,
      readsInside: inside.reads,
      readsOutside: outside.reads,
      loginsInside: inside.logins,
      loginsOutside: outside.logins,
      loginsPerSecond: logins / (elapsed / 1000),
      rotations: windows.length,
      heapChange,
    };
    const s = result.summary;
    rows.push(
      `| ${result.name} | ${Math.round(ops)} | ${fixed(s.ratio)} | ${Math.round(base.opsPerSecond)} | ${s.failedInside} / ${s.failed} | ${fixed(s.p99Inside)} | ${fixed(s.p99Outside)} | ${fixed(s.p99Inside / s.p99Outside)} | ${fixed(s.readsPerRotation, 1)} (${poolReads} in ${windows.length}) | ${fixed(s.readsPerLoginOutside)} (${outside.reads} / ${outside.logins}) | ${logins} (${inside.logins}) | ${heapChange >= 0 ? '+' : ''}${fixed(100 * heapChange, 1)}% | ${describeOutput(output)} |`,
    );
    for (const [message, count] of recorder.topErrors())
      notes.push(`- ${result.name}: ${count}× \`${message.replace(/`/g, "'")}\``);
  }
  const ours = results[0].summary;
  const targets = ours
    ? [
        `${ours.failed} failed queries (target 0): ${mark(ours.failed === 0)}`,
        `p99 in rotation windows ${fixed(ours.p99Inside)} ms against ${fixed(ours.p99Outside)} ms outside, ${fixed(ours.p99Inside / ours.p99Outside)} × (target ≤ 1.5 ×): ${mark(ours.p99Inside <= 1.5 * ours.p99Outside)}`,
        `${fixed(ours.readsPerRotation, 1)} GetSecretValue per rotation (target ≤ 2): ${mark(ours.readsPerRotation <= 2)}`,
        `heap after the run ${ours.heapChange >= 0 ? '+' : ''}${fixed(100 * ours.heapChange, 1)}% against after warm-up (target within 10%): ${mark(Math.abs(ours.heapChange) <= 0.1)}`,
      ]
    : ['ours did not run'];
  const section = `## Rotation under load (Secrets Manager)

${CONCURRENCY} callers run \`SELECT 1\` for ${RUN_MS / 1000} s per contender (after ${WARMUP_MS / 1000} s of warm-up), pool size ${POOL_SIZE}; the password is rotated every ${ROTATE_EVERY_MS / 1000} s through the Secrets Manager emulator: createSecret, setSecret (\`ALTER ROLE\`), testSecret, then ${WINDOW_MS / 1000} s later finishSecret (AWSCURRENT moves). A rotation window runs from setSecret to the end of finishSecret: there the database already wants the new password while AWSCURRENT still holds the old one. Every contender recycles its connections after ${LIFETIME_S} s, so logins happen all through the windows (with the 14m default nobody would log in again within a minute). Contenders run one after another on the same server, each with its own role, secret and emulator: side by side they would share one event loop, and one contender's failing logins would show up in the others' latencies. Throughput × ours: successful queries per second against ours, all under the same rotations. For scale, a \`pg.Pool\` with a fixed password, the same size and lifetime and no rotation ran for ${BASELINE_MS / 1000} s just before each contender; it does not carry the rotation steps and the emulator, which run in the same process as the load, so a contender's rate against it measures that work as much as the pool. GetSecretValue per rotation: the pool's calls during the run (the rotation's own read left out) divided by the rotations; per login outside windows: the pool's steady reading policy. p99 is over the queries that succeeded. Heap: after the run against after warm-up, both with the load stopped and the pool open, after full collections. Warnings printed: messages the contender printed to stdout or stderr during its run (process warnings included; stack lines not counted), with the commonest kinds.

| contender | queries/s | throughput × ours | static pg.Pool just before, queries/s | failed queries in windows / in all | p99 in windows, ms | p99 outside, ms | p99 ratio (target ≤ 1.5) | GetSecretValue per rotation (target ≤ 2) | GetSecretValue per login outside windows | logins (in windows) | heap after run | warnings printed |
|---|---|---|---|---|---|---|---|---|---|---|---|---|
${rows.join('\n')}

Targets for ours: ${targets.join('; ')}.

${setupAndFailures(results, contenders, notes)}`;
  return {
    section,
    data: {
      runMs: RUN_MS,
      lifetimeS: LIFETIME_S,
      poolSize: POOL_SIZE,
      knexTtlMs: KNEX_SECRET_TTL_MS,
      contenders: results.map((result) => ({
        name: result.name,
        baseline: result.base,
        summary: result.summary,
        error: result.error && String(result.error.message ?? result.error),
        series: result.recorder?.series() ?? [],
        windows: result.windows ?? [],
      })),
    },
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  Logger.overrideLogger(['error', 'warn']);
  const server = await startTestPostgres({ alwaysEmbedded: true });
  try {
    const { section } = await rotationUnderLoad({ server });
    console.log(`\n${section}`);
  } finally {
    await server.stop();
  }
}

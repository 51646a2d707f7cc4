// IAM under load (issue 13 items 3 and 5, IAM part) for `npm run bench`: 32 callers run
// `SELECT 1` through the RDS IAM proxy of the testing kit, with time scaled down 150 times: a
// token is refused 6 s after signing (RDS: 15 minutes), connections are recycled after 5.6 s (our
// 14m default) and tokens reused for 4 s (our 10m default). Ours against the peers, one after
// another, each with its own role and proxy, and against static credentials through the same kind of proxy.
// Run alone: `npm run build && node --expose-gc bench/iam-under-load.mjs`.
import { pathToFileURL } from 'node:url';
import { Signer } from '@aws-sdk/rds-signer';
import { Logger } from '@nestjs/common';
import pg from 'pg';
import { DbService } from 'nestjs-rotating-pg';
import { RdsIamProxy, startTestPostgres } from 'nestjs-rotating-pg/testing';
import { captureOutput, describeOutput, drive, fixed, LoadRecorder, setupAndFailures } from './load-kit.mjs';

/** Two connection lifetimes (5.6 s each), so that every contender recycles its pool the same number of times. */
const RUN_MS = Number(process.env.BENCH_IAM_MS ?? 11_200);
const WARMUP_MS = 1_000;
const CONCURRENCY = 32;
const POOL_SIZE = 10;
/** Production seconds per bench second. */
export const IAM_TIME_SCALE = 150;
const TOKEN_VALIDITY_MS = 900_000 / IAM_TIME_SCALE; // 6 s
const LIFETIME_MS = (14 * 60_000) / IAM_TIME_SCALE; // 5.6 s: the 14m default
const TOKEN_TTL_MS = (10 * 60_000) / IAM_TIME_SCALE; // 4 s: our 10m default
/** The wrapper's default `iamTokenExpiration` is 900 s (the token's whole life), scaled the same way. */
const WRAPPER_TOKEN_EXPIRATION_S = 900 / IAM_TIME_SCALE;
const REGION = 'us-east-1';
const AWS_CREDENTIALS = { accessKeyId: 'AKIDEXAMPLEBENCHIAM1', secretAccessKey: 'bench-iam-secret-access-key' };

/** Signs a token for the proxy, as the AWS SDK's RDS signer does for an RDS endpoint. */
const sign = (address, user) =>
  new Signer({
    hostname: address.host,
    port: address.port,
    username: user,
    region: REGION,
    credentials: AWS_CREDENTIALS,
  }).getAuthToken();

/**
 * Counts calls of the AWS SDK's RDS signer, whoever makes them: ours, the DIY pool, Knex and the AWS
 * wrapper all sign with \`@aws-sdk/rds-signer\` (one copy in node_modules). Two tokens signed in the
 * same second are the same string, so the proxy's count of distinct tokens would undercount.
 */
function countSignatures() {
  const original = Signer.prototype.getAuthToken;
  let count = 0;
  Signer.prototype.getAuthToken = function getAuthToken(...args) {
    count++;
    return original.apply(this, args);
  };
  return {
    get count() {
      return count;
    },
    stop() {
      Signer.prototype.getAuthToken = original;
    },
  };
}

const contenders = {
  'pg.Pool, static credentials (no IAM)': {
    config: `a token signed once, through a proxy that accepts it for 15 minutes; \`maxLifetimeSeconds: ${LIFETIME_MS / 1000}\``,
    staticCredentials: true,
    async make({ address, user }) {
      const token = await sign(address, user);
      const pool = new pg.Pool({
        ...address,
        user,
        password: token,
        max: POOL_SIZE,
        maxLifetimeSeconds: LIFETIME_MS / 1000,
      });
      pool.on('error', () => undefined);
      return { query: () => pool.query('SELECT 1'), close: () => pool.end() };
    },
  },
  'DbService (ours)': {
    config: `\`awsIamAuth: { enabled: true, region, tokenTtl: '${TOKEN_TTL_MS / 1000}s' }\`, \`connectionMaxLifetime: '${LIFETIME_MS / 1000}s'\``,
    async make({ address, user }) {
      const db = await DbService.create({
        ...address,
        user,
        maxOpenConnections: POOL_SIZE,
        connectionMaxLifetime: `${LIFETIME_MS / 1000}s`,
        awsIamAuth: { enabled: true, region: REGION, tokenTtl: `${TOKEN_TTL_MS / 1000}s`, allowPlaintext: true },
      });
      return { query: () => db.query('SELECT 1'), close: () => db.onApplicationShutdown() };
    },
  },
  'DIY pg.Pool (async password signing a token, maxLifetimeSeconds)': {
    config: `\`new pg.Pool({ password: () => new Signer({ … }).getAuthToken(), maxLifetimeSeconds: ${LIFETIME_MS / 1000} })\``,
    async make({ address, user }) {
      const pool = new pg.Pool({
        ...address,
        user,
        password: () => sign(address, user),
        max: POOL_SIZE,
        maxLifetimeSeconds: LIFETIME_MS / 1000,
      });
      pool.on('error', () => undefined);
      return { query: () => pool.query('SELECT 1'), close: () => pool.end() };
    },
  },
  'Knex 3 (async connection + expirationChecker)': {
    config: `\`connection: async () => ({ password: token, expirationChecker: () => Date.now() > signedAt + ${TOKEN_TTL_MS} })\`, \`pool: { maxConnectionLifetimeMillis: ${LIFETIME_MS} }\``,
    async make({ address, user }) {
      const { default: knex } = await import('knex');
      const db = knex({
        client: 'pg',
        connection: async () => {
          const signedAt = Date.now();
          return {
            ...address,
            user,
            password: await sign(address, user),
            expirationChecker: () => Date.now() > signedAt + TOKEN_TTL_MS,
          };
        },
        pool: { max: POOL_SIZE, maxConnectionLifetimeMillis: LIFETIME_MS },
      });
      return { query: () => db.raw('SELECT 1'), close: () => db.destroy() };
    },
  },
  'AWS Advanced NodeJS Wrapper 2 (iam plugin, AwsPgPoolClient)': {
    config: `\`new AwsPgPoolClient({ plugins: 'iam', iamRegion, iamTokenExpiration: ${WRAPPER_TOKEN_EXPIRATION_S}, dialect: 'pg' }, new AwsPoolConfig({ maxConnections: ${POOL_SIZE}, maxLifetimeSeconds: ${LIFETIME_MS / 1000} }))\``,
    async make({ address, user }) {
      const { AwsPgPoolClient } = await import('aws-advanced-nodejs-wrapper/pg');
      const { AwsPoolConfig, PluginManager } = await import('aws-advanced-nodejs-wrapper');
      // It signs for the host and port it connects to (the proxy), with the SDK's default credential chain.
      const pool = new AwsPgPoolClient(
        {
          ...address,
          user,
          plugins: 'iam',
          iamRegion: REGION,
          iamTokenExpiration: WRAPPER_TOKEN_EXPIRATION_S,
          dialect: 'pg',
        },
        new AwsPoolConfig({ maxConnections: POOL_SIZE, maxLifetimeSeconds: LIFETIME_MS / 1000 }),
      );
      return {
        query: () => pool.query('SELECT 1'),
        close: async () => (await pool.end(), await PluginManager.releaseResources()),
      };
    },
  },
};

async function measure(server, name, contender, index) {
  const user = `iam_c${index}`;
  const password = `backend-${Math.random().toString(36).slice(2)}`;
  await server.admin(`DROP ROLE IF EXISTS ${user}`);
  await server.admin(`CREATE ROLE ${user} LOGIN PASSWORD '${password}'`);
  const proxy = new RdsIamProxy({
    backend: { host: server.host, port: server.port },
    backendPassword: (login) => (login === user ? password : undefined),
    region: REGION,
    credentials: AWS_CREDENTIALS,
    tokenLifetimeMs: contender.staticCredentials ? undefined : TOKEN_VALIDITY_MS,
  });
  const { host, port } = await proxy.start();
  const address = { host, port, database: 'postgres' };
  const recorder = new LoadRecorder(RUN_MS);
  const signatures = countSignatures();
  const output = captureOutput();
  let client;
  try {
    client = await contender.make({ address, user });
    await drive({ query: client.query, concurrency: CONCURRENCY, durationMs: WARMUP_MS });
    const before = { accepted: proxy.accepted, rejected: proxy.rejected, tokens: signatures.count };
    const elapsed = await drive({ query: client.query, concurrency: CONCURRENCY, durationMs: RUN_MS, recorder });
    const seconds = elapsed / 1000;
    return {
      name,
      opsPerSecond: recorder.ok / seconds,
      p99: recorder.p99All(),
      failed: recorder.failed,
      topErrors: recorder.topErrors(),
      logins: proxy.accepted - before.accepted,
      loginsPerSecond: (proxy.accepted - before.accepted) / seconds,
      refused: proxy.rejected - before.rejected,
      refusals: [...new Set(proxy.rejections)].join(', '),
      tokens: signatures.count - before.tokens,
      tokensPerSecond: (signatures.count - before.tokens) / seconds,
      output: output.release(),
    };
  } catch (error) {
    return { name, error, output: output.release() };
  } finally {
    signatures.stop();
    await client?.close().catch(() => undefined);
    await proxy.stop();
  }
}

/** Runs every contender; returns the Markdown section and the per-pool figures the scale table uses. */
export async function iamUnderLoad({ server }) {
  // The proxy checks every token's signature against these; the SDK's default chain reads them.
  process.env.AWS_ACCESS_KEY_ID = AWS_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = AWS_CREDENTIALS.secretAccessKey;
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
  const results = [];
  let index = 0;
  for (const [name, contender] of Object.entries(contenders)) {
    results.push(await measure(server, name, contender, index++));
    process.stderr.write('.');
  }
  const base = results[0];
  const rows = results.map((r) => {
    if (r.error)
      return `| ${r.name} | could not run: ${String(r.error.message ?? r.error)
        .replace(/\|/g, '\\|')
        .slice(0, 200)} |||||||`;
    return `| ${r.name} | ${Math.round(r.opsPerSecond)} | ${base.error ? 'n/a' : fixed(r.opsPerSecond / base.opsPerSecond)} | ${r.failed} | ${r.refused}${r.refused ? ` (${r.refusals})` : ''} | ${r.tokens} | ${r.logins} (${fixed(r.loginsPerSecond, 1)}/s) | ${describeOutput(r.output)} |`;
  });
  const notes = results.flatMap((r) =>
    (r.topErrors ?? []).map(([message, count]) => `- ${r.name}: ${count}× \`${message.replace(/`/g, "'")}\``),
  );
  const ours = results[1];
  const section = `## IAM under load (RDS IAM proxy)

${CONCURRENCY} callers run \`SELECT 1\` for ${RUN_MS / 1000} s per contender (after ${WARMUP_MS / 1000} s of warm-up), pool size ${POOL_SIZE}, through the testing kit's RDS IAM proxy (it checks each token's SigV4 signature, host, port, user and age, and refuses with SQLSTATE 28000 like RDS). Time is scaled down ${IAM_TIME_SCALE} times: the proxy refuses a token ${TOKEN_VALIDITY_MS / 1000} s after signing (RDS: 15 minutes), connections are recycled after ${LIFETIME_MS / 1000} s (the 14m default) and ours reuses a token for ${TOKEN_TTL_MS / 1000} s (the 10m default). The static-credential row signs one token and goes through a proxy that accepts it for 15 minutes: the same relay and the same logins, without rotation; the throughput ratio is against it. Tokens signed: calls of the AWS SDK's RDS signer during the run. Logins: logins the proxy let through.

| contender | queries/s | throughput ratio | failed queries | refused logins | tokens signed | logins (per second) | warnings printed |
|---|---|---|---|---|---|---|---|
${rows.join('\n')}

${ours && !ours.error ? `Ours: ${ours.failed} failed queries (target 0), ${ours.refused} refused logins, ${ours.tokens} tokens for ${ours.logins} logins.` : 'Ours did not run.'}

${setupAndFailures(results, contenders, notes)}`;
  return {
    section,
    data: {
      runMs: RUN_MS,
      timeScale: IAM_TIME_SCALE,
      poolSize: POOL_SIZE,
      lifetimeMs: LIFETIME_MS,
      tokenTtlMs: TOKEN_TTL_MS,
      contenders: results.map((r) => ({
        name: r.name,
        error: r.error && String(r.error.message ?? r.error),
        ...(r.error
          ? {}
          : {
              opsPerSecond: r.opsPerSecond,
              failed: r.failed,
              refused: r.refused,
              tokensPerSecond: r.tokensPerSecond,
              loginsPerSecond: r.loginsPerSecond,
              tokens: r.tokens,
              logins: r.logins,
            }),
      })),
    },
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  Logger.overrideLogger(['error', 'warn']);
  const server = await startTestPostgres({ alwaysEmbedded: true });
  try {
    const { section } = await iamUnderLoad({ server });
    console.log(`\n${section}`);
  } finally {
    await server.stop();
  }
}

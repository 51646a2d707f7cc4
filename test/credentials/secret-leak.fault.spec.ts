import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import type { INestApplication } from '@nestjs/common';
import { ClientSecretCredential } from '@azure/identity';
import { Test } from '@nestjs/testing';
import { JWT } from 'google-auth-library';
import pg from 'pg';
import request from 'supertest';
import {
  databaseOptionsFromEnv,
  DbService,
  DsqlCredentialProvider,
  RdsIamCredentialProvider,
} from '../../src/index.js';
import { renderDoctorReport, runDoctor } from '../../src/cli/index.js';
import {
  CLOUD_SQL_LOGIN_SCOPE,
  EntraIdEmulator,
  freePort,
  GoogleOAuthEmulator,
  testCertificate,
  rotateVaultKvSecret,
  VaultEmulator,
  writeVaultKvSecret,
} from '../../src/testing/index.js';
import { AppModule } from '../../sample-app/src/app.module.js';
import { type DemoEnvironment, startDemoEnvironment } from '../../sample-app/src/demo-environment.js';
import { startTelemetry, type Telemetry } from '../../sample-app/src/metrics/telemetry.js';
import { captureNestLog } from '../support/captured-log.js';
import { eventually, runLoad, sleep } from '../support/load.js';
import { createTestRole } from '../support/roles.js';
import { iamProxyFor } from '../support/iam.js';
import { useTempFolder } from '../support/temp-folder.js';

/**
 * One sweep over every surface a secret could leak through — log lines, error messages and
 * stacks (with their causes), util.inspect with hidden fields, JSON, /health, stats, /metrics and
 * the doctor's text and JSON — while the module rotates passwords, signs IAM tokens, is refused,
 * loses Secrets Manager, cannot reach the database and is given bad options.
 */

const distinctive = (label: string) => `${label}-${randomBytes(9).toString('hex')}`;
const awsSecretAccessKey = distinctive('LeakAwsKey');
process.env.AWS_ACCESS_KEY_ID = 'AKIDLEAKSWEEP0000001';
process.env.AWS_SECRET_ACCESS_KEY = awsSecretAccessKey;

const secrets = new Map<string, string>([['AWS secret access key', awsSecretAccessKey]]);
const surfaces: { where: string; text: string }[] = [];

function seen(where: string, value: unknown): void {
  surfaces.push({
    where,
    text: typeof value === 'string' ? value : inspect(value, { showHidden: true, depth: 10, getters: true }),
  });
}

/** An error as a user would see it anywhere: message, stack, inspect (causes, hidden fields), JSON. */
function seenError(where: string, error: unknown): void {
  expect(error).toBeInstanceOf(Error);
  const { message, stack } = error as Error;
  seen(`${where}: message`, message);
  seen(`${where}: stack`, stack ?? '');
  seen(`${where}: inspect`, error);
  seen(`${where}: JSON`, JSON.stringify(error));
}

/** Runs the CLI without blocking this process, which serves the Secrets Manager emulator it reads. */
function doctor(cli: string, ...args: string[]): Promise<string> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [cli, 'doctor', '--config', ...args],
      { encoding: 'utf8', timeout: 30_000, env: { ...process.env } },
      (_, stdout, stderr) => resolve(`${stdout}${stderr}`),
    );
  });
}

function leaks(): string[] {
  const found: string[] = [];
  for (const [what, secret] of secrets) {
    for (const surface of surfaces) if (surface.text.includes(secret)) found.push(`${what} in ${surface.where}`);
  }
  return found;
}

const log = captureNestLog();
let demo: DemoEnvironment;
let telemetry: Telemetry;
let app: INestApplication;

beforeAll(async () => {
  demo = await startDemoEnvironment({ lifetime: '1s', refreshInterval: '1h' });
  telemetry = startTelemetry();
  const moduleRef = await Test.createTestingModule({ imports: [AppModule.register(demo.database, telemetry.exporter)] })
    .setLogger(log.logger)
    .compile();
  // No `logger` option: the captured Nest logger stays in place for the app too.
  app = moduleRef.createNestApplication();
  await app.init();
}, 60_000);

afterAll(async () => {
  await app?.close();
  await telemetry?.stop();
  await demo?.stop();
  log.restore();
});

describe('no secret leaks', () => {
  it('through rotations, a Secrets Manager outage, /health, /metrics, stats and inspection of the running sample app', async () => {
    const http = () => request(app.getHttpServer());
    const db = app.get(DbService);
    secrets.set('initial password', (await demo.currentSecret()).password);
    const rotations = (async () => {
      for (const label of ['first rotated password', 'second rotated password']) {
        await demo.rotate();
        secrets.set(label, (await demo.currentSecret()).password);
      }
    })();
    const load = await runLoad(4, 5_000, () => http().get('/notes?limit=1').expect(200));
    await rotations;
    expect(load.failed).toBe(0);
    await eventually(
      'the rotated password in use',
      async () => (await http().get('/health')).body.details?.database?.pool?.credentialRotations >= 2,
    );

    // A Secrets Manager outage: the refresh fails, the cached password serves, /health degrades.
    demo.secretsManager.fault = 'internal-error';
    const failedRefresh = await db.refreshCredentials().catch((error: unknown) => error);
    seenError('failed manual refresh', failedRefresh);
    const degraded = await http().get('/health').expect(200);
    expect(degraded.body.details.database.status).toBe('degraded');
    seen('/health while degraded', JSON.stringify(degraded.body));
    demo.secretsManager.fault = undefined;
    // Issue 20: what went wrong is told by a code and a status, and the cause is a redacted copy.
    expect(failedRefresh).toMatchObject({
      name: 'CredentialSourceError',
      code: 'InternalServiceError',
      httpStatus: 500,
      cause: expect.any(Error),
    });
    expect(((failedRefresh as Error).cause as Error).message).toContain('emulated outage');

    const client = await db.pool.connect();
    seen('a checked-out client', client);
    client.release();
    seen('DbService', db);
    seen('DbService.pool', db.pool);
    seen('stats() as JSON', JSON.stringify(db.stats()));
    seen('/health', JSON.stringify((await http().get('/health').expect(200)).body));
    seen('/metrics', (await http().get('/metrics').expect(200)).text);
    expect(leaks()).toEqual([]);
  }, 60_000);

  it('through Vault leases (AppRole login, token renewals and re-logins, lease renewals and re-issues), a sealed Vault, a refused secret_id and the doctor', async () => {
    const vault = await new VaultEmulator(demo.postgres).start();
    const secretId = distinctive('LeakVaultSecretId');
    secrets.set('a Vault AppRole secret_id', secretId);
    const wrongSecretId = distinctive('LeakWrongVaultSecretId');
    secrets.set('a wrong Vault AppRole secret_id', wrongSecretId);
    vault.addRole('app', { defaultTtlMs: 3_000, maxTtlMs: 7_000 });
    vault.addAppRole('app', { roleId: 'leak-role-id', secretId }, { ttlMs: 3_000, maxTtlMs: 7_000 });
    const options = {
      dsn: `postgresql://${demo.postgres.host}:${demo.postgres.port}/postgres`,
      vault: { address: vault.address, role: 'app', appRole: { roleId: 'leak-role-id', secretId } },
    };
    try {
      const db = await DbService.create({ name: 'leak-vault', ...options, connectionMaxLifetime: '1s' });
      const load = await runLoad(4, 8_000, () => db.query('SELECT 1'));
      expect(load.failed).toBe(0);
      vault.seal();
      // A fetch already under way when Vault sealed answers this refresh too (single flight): ask until one fails.
      let sealedError: unknown;
      await eventually('a refresh to fail while sealed', async () => {
        sealedError = await db.refreshCredentials().then(
          () => undefined,
          (error: unknown) => error,
        );
        return sealedError !== undefined;
      });
      seenError('a refresh while Vault is sealed', sealedError);
      seen('Vault DbService while sealed', db);
      seen('Vault stats() as JSON while sealed', JSON.stringify(db.stats()));
      vault.unseal();
      await db.onApplicationShutdown();

      seenError(
        'a refused Vault AppRole login',
        await DbService.create({
          name: 'leak-vault-refused',
          ...options,
          vault: { ...options.vault, appRole: { roleId: 'leak-role-id', secretId: wrongSecretId } },
        }).catch((error: unknown) => error),
      );
      seenError(
        'bad Vault options',
        await DbService.create({
          name: 'leak-vault-bad',
          ...options,
          vault: { ...options.vault, address: 'http://vault.example.com', token: wrongSecretId },
        }).catch((error: unknown) => error),
      );

      const report = await runDoctor(options);
      expect(report.checks.find((row) => row.check === 'credentials')?.detail).toMatch(/^leased user v-approle-app-/);
      seen('Vault doctor text', renderDoctorReport(report, 'options'));
      seen('Vault doctor JSON', JSON.stringify(report));
    } finally {
      await vault.stop();
    }
    // Logins again and renewals happened: more than the first token and password were handed out.
    expect(vault.calls.login).toBeGreaterThanOrEqual(2);
    expect(vault.calls.renew).toBeGreaterThanOrEqual(1);
    for (const [index, secret] of vault.issuedSecrets.entries())
      secrets.set(`Vault token or password #${index}`, secret);
    secrets.set('the Vault root token', vault.rootToken);
    expect(leaks()).toEqual([]);
  }, 60_000);

  it('through a Vault KV v2 secret (AppRole login, rotations, wrong credentials in the secret, a secret without its keys), a sealed Vault and the doctor', async () => {
    const vault = await new VaultEmulator(demo.postgres).start();
    vault.enableKv();
    const role = await createTestRole(demo.postgres, 'leak_kv');
    secrets.set('KV role database password', role.password);
    const secretId = distinctive('LeakVaultKvSecretId');
    secrets.set('a Vault AppRole secret_id (KV)', secretId);
    vault.addAppRole('kv', { roleId: 'leak-kv-role-id', secretId }, { ttlMs: 3_000, maxTtlMs: 7_000 });
    const secret = { address: vault.address, token: vault.rootToken, path: 'db/app' };
    await writeVaultKvSecret(secret, { username: role.username, password: role.password });
    const options = {
      dsn: role.bareDsn,
      vault: { address: vault.address, appRole: { roleId: 'leak-kv-role-id', secretId }, kv: { path: 'db/app' } },
    };
    try {
      const db = await DbService.create({
        name: 'leak-vault-kv',
        ...options,
        connectionMaxLifetime: '1s',
        connectionTimeout: '2s',
      });
      const rotations = (async () => {
        for (const pauseAfterDatabaseMs of [0, 500]) {
          await rotateVaultKvSecret({
            secret,
            username: role.username,
            admin: (sql) => demo.postgres.admin(sql),
            pauseAfterDatabaseMs,
          });
          await sleep(1_500);
        }
      })();
      const load = await runLoad(4, 5_000, () => db.query('SELECT 1'));
      await rotations;
      expect(load.failed).toBe(0);
      seen('Vault KV DbService', db);
      seen('Vault KV stats() as JSON', JSON.stringify(db.stats()));

      const wrong = distinctive('LeakKvWrongPassword');
      secrets.set('a wrong password written to KV', wrong);
      await writeVaultKvSecret(secret, { username: role.username, password: wrong });
      await db.refreshCredentials();
      // Idle connections still serve; the first new login (1 s lifetimes) is refused.
      let refused: unknown;
      await eventually(
        'a login refused with the wrong password',
        async () => {
          refused = await db.query('SELECT 1').then(
            () => undefined,
            (error: unknown) => error,
          );
          return refused !== undefined;
        },
        20_000,
      );
      seenError('a login refused with the wrong password from KV', refused);

      vault.seal();
      let sealedError: unknown;
      await eventually('a refresh to fail while sealed', async () => {
        sealedError = await db.refreshCredentials().then(
          () => undefined,
          (error: unknown) => error,
        );
        return sealedError !== undefined;
      });
      seenError('a KV refresh while Vault is sealed', sealedError);
      seen('Vault KV stats() as JSON while sealed', JSON.stringify(db.stats()));
      vault.unseal();
      await db.onApplicationShutdown();

      const valueOnly = distinctive('LeakKvValueWithoutKeys');
      secrets.set('a KV secret value under other keys', valueOnly);
      await writeVaultKvSecret({ ...secret, path: 'db/other-keys' }, { pw: valueOnly });
      seenError(
        'a KV secret without the expected keys',
        await DbService.create({
          name: 'leak-vault-kv-keys',
          ...options,
          vault: { ...options.vault, kv: { path: 'db/other-keys' } },
        }).catch((error: unknown) => error),
      );

      // The doctor reads the secret and logs in: a rotation puts matching credentials back.
      await rotateVaultKvSecret({ secret, username: role.username, admin: (sql) => demo.postgres.admin(sql) });
      const report = await runDoctor(options);
      expect(report.checks.find((row) => row.check === 'credentials')?.detail).toMatch(
        /KV v2 secret secret\/data\/db\/app/,
      );
      seen('Vault KV doctor text', renderDoctorReport(report, 'options'));
      seen('Vault KV doctor JSON', JSON.stringify(report));
    } finally {
      await vault.stop();
    }
    for (const [index, issued] of vault.issuedSecrets.entries())
      secrets.set(`Vault KV token or password #${index}`, issued);
    secrets.set('the Vault root token (KV)', vault.rootToken);
    expect(leaks()).toEqual([]);
  }, 60_000);

  it('through IAM token signing, an expired token, and a token signed with the wrong key', async () => {
    const role = await createTestRole(demo.postgres, 'leak_iam');
    secrets.set('IAM role database password', role.password);
    const credentials = { accessKeyId: 'AKIDLEAKSWEEP0000001', secretAccessKey: awsSecretAccessKey };
    const proxy = iamProxyFor(demo.postgres, role, {
      credentials,
      tokenLifetimeMs: 2_000,
    });
    const endpoint = await proxy.start();
    try {
      const iam = await DbService.create({
        name: 'leak-iam',
        ...endpoint,
        database: role.username,
        user: role.username,
        connectionMaxLifetime: '1s',
        awsIamAuth: { enabled: true, region: 'us-east-1', tokenTtl: '1500ms', allowPlaintext: true },
      });
      const load = await runLoad(4, 4_000, () => iam.query('SELECT 1'));
      expect(load.failed).toBe(0);
      seen('IAM DbService', iam);
      seen('IAM stats() as JSON', JSON.stringify(iam.stats()));
      await iam.onApplicationShutdown();

      const wrongKey = distinctive('LeakWrongAwsKey');
      secrets.set('a wrong AWS secret access key', wrongKey);
      const refused = await DbService.create({
        name: 'leak-iam-refused',
        ...endpoint,
        database: role.username,
        user: role.username,
        connectionTimeout: '3s',
        credentialProvider: new RdsIamCredentialProvider({
          region: 'us-east-1',
          username: role.username,
          credentials: { accessKeyId: 'AKIDWRONG00000000001', secretAccessKey: wrongKey },
          signingHost: endpoint.host,
          signingPort: endpoint.port,
          tokenTtlMs: 60_000,
        }),
      });
      seenError('refused IAM login', await refused.query('SELECT 1').catch((error: unknown) => error));
      seen('refused IAM DbService', refused);
      await refused.onApplicationShutdown();
      expect(proxy.rejections.length).toBeGreaterThan(0);
    } finally {
      await proxy.stop();
    }
    expect(proxy.tokens.size).toBeGreaterThan(2);
    for (const token of proxy.tokens) secrets.set(`IAM token ${token.slice(0, 12)}…`, token);
    expect(leaks()).toEqual([]);
  }, 60_000);

  it('through Aurora DSQL token signing, an expired token, a token signed with the wrong key and the doctor', async () => {
    const role = await createTestRole(demo.postgres, 'leak_dsql');
    secrets.set('DSQL role database password', role.password);
    const proxy = iamProxyFor(demo.postgres, role, {
      service: 'dsql',
      credentials: { accessKeyId: 'AKIDLEAKSWEEP0000001', secretAccessKey: awsSecretAccessKey },
      tokenLifetimeMs: 2_000,
    });
    const endpoint = await proxy.start();
    const options = { ...endpoint, database: role.username, user: role.username };
    try {
      const dsql = await DbService.create({
        name: 'leak-dsql',
        ...options,
        connectionMaxLifetime: '1s',
        dsqlAuth: { enabled: true, region: 'us-east-1', tokenTtl: '1500ms', allowPlaintext: true },
      });
      const load = await runLoad(4, 4_000, () => dsql.query('SELECT 1'));
      expect(load.failed).toBe(0);
      seen('DSQL DbService', dsql);
      seen('DSQL stats() as JSON', JSON.stringify(dsql.stats()));
      await dsql.onApplicationShutdown();

      const wrongKey = distinctive('LeakWrongDsqlKey');
      secrets.set('a wrong AWS secret access key for DSQL', wrongKey);
      const signer = new DsqlCredentialProvider({
        region: 'us-east-1',
        username: role.username,
        credentials: { accessKeyId: 'AKIDWRONG00000000002', secretAccessKey: wrongKey },
        signingHost: endpoint.host,
        tokenTtlMs: 60_000,
        expiresInMs: 900_000,
      });
      const refused = await DbService.create({
        name: 'leak-dsql-refused',
        ...options,
        connectionTimeout: '3s',
        credentialProvider: signer,
      });
      seenError('refused DSQL login', await refused.query('SELECT 1').catch((error: unknown) => error));
      seen('refused DSQL DbService', refused);
      await refused.onApplicationShutdown();

      const report = await runDoctor({
        ...options,
        dsqlAuth: { enabled: true, region: 'us-east-1', allowPlaintext: true },
      });
      expect(report.checks.find((row) => row.check === 'credentials')?.detail).toMatch(
        /^signed an Aurora DSQL DbConnect token/,
      );
      seen('DSQL doctor text', renderDoctorReport(report, 'options'));
      seen('DSQL doctor JSON', JSON.stringify(report));
      expect(proxy.rejections.length).toBeGreaterThan(0);
    } finally {
      await proxy.stop();
    }
    expect(proxy.tokens.size).toBeGreaterThan(2);
    for (const token of proxy.tokens) secrets.set(`DSQL token ${token.slice(0, 12)}…`, token);
    expect(leaks()).toEqual([]);
  }, 60_000);

  it('through Entra ID tokens from @azure/identity, a token of another principal, a wrong client secret, an outage and the doctor', async () => {
    const role = await createTestRole(demo.postgres, 'leak_entra');
    secrets.set('Entra role database password', role.password);
    const certificate = testCertificate();
    const entra = new EntraIdEmulator({ tls: certificate, tokenLifetimeMs: 2_000 });
    await entra.start();
    const app = entra.addClient(role.username);
    const stranger = entra.addClient('leak_stranger');
    secrets.set('Entra client secret', app.clientSecret);
    secrets.set("another application's client secret", stranger.clientSecret);
    const front = entra.postgresFront({
      backend: { host: demo.postgres.host, port: demo.postgres.port },
      backendPassword: (user) => (user === role.username ? role.password : undefined),
      tls: certificate,
      requireTls: true,
    });
    const endpoint = await front.start();
    const options = { ...endpoint, database: role.username, user: role.username, ssl: { ca: certificate.cert } };
    const credentialOf = (client: { clientId: string; clientSecret: string }, secret = client.clientSecret) =>
      new ClientSecretCredential(entra.tenantId, client.clientId, secret, {
        authorityHost: entra.authorityHost,
        disableInstanceDiscovery: true,
        tlsOptions: { ca: certificate.cert },
        retryOptions: { maxRetries: 0 },
      });
    try {
      const db = await DbService.create({
        name: 'leak-entra',
        ...options,
        connectionMaxLifetime: '1s',
        entraIdAuth: { enabled: true, credential: credentialOf(app) },
      });
      const load = await runLoad(4, 4_000, () => db.query('SELECT 1'));
      expect(load.failed).toBe(0);
      entra.unavailable = true;
      seenError('Entra refresh during an outage', await db.refreshCredentials().catch((error: unknown) => error));
      entra.unavailable = false;
      seen('Entra DbService', db);
      seen('Entra stats() as JSON', JSON.stringify(db.stats()));
      await db.onApplicationShutdown();

      const refused = await DbService.create({
        name: 'leak-entra-refused',
        ...options,
        connectionTimeout: '3s',
        entraIdAuth: { enabled: true, credential: credentialOf(stranger) },
      });
      seenError('refused Entra login', await refused.query('SELECT 1').catch((error: unknown) => error));
      seen('refused Entra DbService', refused);
      await refused.onApplicationShutdown();

      const wrongSecret = distinctive('LeakWrongClientSecret');
      secrets.set('a wrong Entra client secret', wrongSecret);
      seenError(
        'Entra start with a wrong client secret',
        await DbService.create({
          name: 'leak-entra-wrong-secret',
          ...options,
          entraIdAuth: { enabled: true, credential: credentialOf(app, wrongSecret) },
        }).catch((error: unknown) => error),
      );

      const report = await runDoctor({ ...options, entraIdAuth: { enabled: true, credential: credentialOf(app) } });
      expect(report.checks.find((row) => row.check === 'credentials')?.detail).toMatch(
        /^obtained a Microsoft Entra ID access token/,
      );
      seen('Entra doctor text', renderDoctorReport(report, 'options'));
      seen('Entra doctor JSON', JSON.stringify(report));
      expect(front.rejections.length).toBeGreaterThan(0);
    } finally {
      await front.stop();
      await entra.stop();
    }
    expect(front.tokens.size).toBeGreaterThan(2);
    for (const token of front.tokens) secrets.set(`Entra token ${token.slice(0, 12)}…`, token);
    expect(leaks()).toEqual([]);
  }, 60_000);

  it('through Cloud SQL IAM tokens from google-auth-library, a deleted key, a wrong account, an outage and the doctor', async () => {
    const google = new GoogleOAuthEmulator({ tokenLifetimeMs: 2_000 });
    await google.start();
    const key = google.addServiceAccount('leak-gsql');
    const stranger = google.addServiceAccount('leak-stranger');
    const deleted = google.addServiceAccount('leak-deleted');
    google.deleteKey(deleted.private_key_id);
    for (const [label, account] of [
      ['the', key],
      ['a stranger', stranger],
      ['a deleted', deleted],
    ] as const)
      secrets.set(`${label} service account's private key`, account.private_key.split('\n')[1]!);
    const backing = await createTestRole(demo.postgres, 'leak_gsql');
    secrets.set('Cloud SQL role database password', backing.password);
    const iamUser = key.client_email.replace(/\.gserviceaccount\.com$/, '');
    await demo.postgres.admin(`ALTER ROLE ${backing.username} RENAME TO "${iamUser}"`);
    const certificate = testCertificate();
    const front = google.cloudSqlFront({
      backend: { host: demo.postgres.host, port: demo.postgres.port },
      backendPassword: (user) => (user === iamUser ? backing.password : undefined),
      tls: certificate,
      requireTls: true,
    });
    const endpoint = await front.start();
    const options = { ...endpoint, database: backing.username, user: iamUser, ssl: { ca: certificate.cert } };
    const authOf = (account: typeof key) =>
      new JWT({
        email: account.client_email,
        key: account.private_key,
        scopes: [CLOUD_SQL_LOGIN_SCOPE],
        transporterOptions: { fetchImplementation: google.fetch },
      });
    try {
      const db = await DbService.create({
        name: 'leak-gsql',
        ...options,
        connectionMaxLifetime: '1s',
        cloudSqlIamAuth: { enabled: true, auth: authOf(key) },
      });
      const load = await runLoad(4, 4_000, () => db.query('SELECT 1'));
      expect(load.failed).toBe(0);
      google.unavailable = true;
      seenError('Cloud SQL refresh during an outage', await db.refreshCredentials().catch((error: unknown) => error));
      google.unavailable = false;
      seen('Cloud SQL DbService', db);
      seen('Cloud SQL stats() as JSON', JSON.stringify(db.stats()));
      await db.onApplicationShutdown();

      const refused = await DbService.create({
        name: 'leak-gsql-refused',
        ...options,
        connectionTimeout: '3s',
        cloudSqlIamAuth: { enabled: true, auth: authOf(stranger) },
      });
      seenError('refused Cloud SQL login', await refused.query('SELECT 1').catch((error: unknown) => error));
      seen('refused Cloud SQL DbService', refused);
      await refused.onApplicationShutdown();

      seenError(
        'Cloud SQL start with a deleted key',
        await DbService.create({
          name: 'leak-gsql-deleted',
          ...options,
          cloudSqlIamAuth: { enabled: true, auth: authOf(deleted) },
        }).catch((error: unknown) => error),
      );

      const report = await runDoctor({ ...options, cloudSqlIamAuth: { enabled: true, auth: authOf(key) } });
      expect(report.checks.find((row) => row.check === 'credentials')?.detail).toMatch(
        /^obtained a Google OAuth 2\.0 access token/,
      );
      seen('Cloud SQL doctor text', renderDoctorReport(report, 'options'));
      seen('Cloud SQL doctor JSON', JSON.stringify(report));
      expect(front.rejections.length).toBeGreaterThan(0);
    } finally {
      await front.stop();
      await google.stop();
    }
    expect(front.tokens.size).toBeGreaterThan(2);
    for (const token of front.tokens) secrets.set(`Cloud SQL token ${token.slice(0, 12)}…`, token);
    expect(leaks()).toEqual([]);
  }, 60_000);

  it('through refused passwords, an unreachable server and bad options, in every error and its causes', async () => {
    const role = await createTestRole(demo.postgres, 'leak_err');
    secrets.set('error-scenario role password', role.password);
    const wrong = distinctive('LeakWrongPw');
    secrets.set('a wrong password', wrong);
    const refused = await DbService.create({
      name: 'leak-refused',
      dsn: role.dsn.replace(role.password, wrong),
      connectionTimeout: '3s',
    });
    seenError('password refused', await refused.query('SELECT 1').catch((error: unknown) => error));
    seen('refused DbService', refused);
    await refused.onApplicationShutdown();

    const closedPort = await freePort();
    const unreachable = await DbService.create({
      name: 'leak-unreachable',
      dsn: `postgresql://app:${wrong}@127.0.0.1:${closedPort}/app`,
      connectionTimeout: '2s',
    });
    seenError('server unreachable', await unreachable.query('SELECT 1').catch((error: unknown) => error));
    await unreachable.onApplicationShutdown();

    // The server refuses the startup role: its error and hint name the user and the role, never the password.
    const notMember = await DbService.create({ name: 'leak-session-role', dsn: role.dsn, sessionRole: 'pg_monitor' });
    const roleRefused = await notMember.query('SELECT 1').catch((error: unknown) => error);
    expect(roleRefused).toMatchObject({ code: '42501' });
    seenError('sessionRole refused', roleRefused);
    seen('sessionRole-refused DbService', notMember);
    await notMember.onApplicationShutdown();

    const encoded = distinctive('Leak@Pw:/#');
    secrets.set('a password with URL characters', encoded);
    secrets.set('that password percent-encoded', encodeURIComponent(encoded));
    const badOptions = [
      { dsn: role.dsn, connectionMaxLifetime: '15m' },
      { dsn: `postgresql://app:${encodeURIComponent(encoded)}@127.0.0.1:notaport/app` },
      { dsn: `mysql://app:${wrong}@127.0.0.1/app` },
      { host: '127.0.0.1', user: 'app', password: wrong, dsn: role.dsn },
      { dsn: `host=127.0.0.1 user=app password=${wrong} dbname=app connect_timeout=abc`, maxIdleConnections: -1 },
    ];
    for (const [index, options] of badOptions.entries()) {
      seenError(
        `bad options #${index + 1}`,
        await DbService.create({ name: 'leak-bad', ...options }).catch((error: unknown) => error),
      );
    }
    expect(leaks()).toEqual([]);
  }, 60_000);

  it('through environment variables that hold secrets (DB_AUTH), in the errors of wrong ones and of the options they give', async () => {
    const token = distinctive('LeakEnvVaultToken');
    secrets.set('VAULT_TOKEN from the environment', token);
    const secretId = distinctive('LeakEnvSecretId');
    secrets.set('VAULT_SECRET_ID from the environment', secretId);
    // A secret pasted into the wrong variable is quoted nowhere either.
    const pasted = distinctive('LeakEnvPasted');
    secrets.set('a secret pasted into DB_ALLOW_PLAINTEXT', pasted);
    const dsnPassword = distinctive('LeakEnvDsnPw');
    secrets.set('a password in DATABASE_URL', dsnPassword);
    const dsn = `postgresql://app:${dsnPassword}@db.internal:5432/app?sslmode=verify-full`;
    const wrongEnvs = [
      {
        DB_AUTH: 'vault',
        VAULT_TOKEN: token,
        VAULT_ROLE_ID: 'r',
        VAULT_SECRET_ID: secretId,
        VAULT_KUBERNETES_ROLE: 'k',
      },
      { DB_AUTH: 'vault', VAULT_TOKEN: token, DB_VAULT_ROLE: 'a', DB_VAULT_STATIC_ROLE: 'b' },
      { DB_AUTH: 'cloud-sql-iam', DB_ALLOW_PLAINTEXT: pasted },
    ];
    for (const [index, variables] of wrongEnvs.entries()) {
      const error = await Promise.resolve()
        .then(() => databaseOptionsFromEnv({ DATABASE_URL: dsn, ...variables }))
        .catch((rejected: unknown) => rejected);
      seenError(`wrong environment #${index + 1}`, error);
    }
    // Read well, refused by the options' rules: Vault over plaintext HTTP to another host, a password next to a source.
    const refusedEnvs = [
      { DB_AUTH: 'vault', VAULT_ADDR: 'http://vault.internal:8200', VAULT_TOKEN: token, DB_VAULT_ROLE: 'a' },
      {
        DB_AUTH: 'vault',
        VAULT_ADDR: 'https://vault.internal:8200',
        DB_VAULT_ROLE: 'a',
        VAULT_ROLE_ID: 'r',
        VAULT_SECRET_ID: secretId,
      },
    ];
    for (const [index, variables] of refusedEnvs.entries()) {
      const options = databaseOptionsFromEnv({ DATABASE_URL: dsn, ...variables })!;
      seenError(
        `options from the environment #${index + 1}`,
        await DbService.create({ name: 'leak-env', ...options }).catch((error: unknown) => error),
      );
    }
    expect(leaks()).toEqual([]);
  }, 60_000);

  const doctorConfigs = useTempFolder('leak-doctor-');

  it("through the doctor's text and JSON reports, for a good, a refused and a Secrets Manager configuration", async () => {
    const cli = new URL('../../dist/cli/main.js', import.meta.url).pathname;
    const { host, port } = demo.postgres;
    const wrong = distinctive('LeakDoctorPw');
    secrets.set('a wrong password given to the doctor', wrong);
    const configs = {
      good: `dsn: "${demo.postgres.url}"`,
      refused: `dsn: "postgresql://notes_app:${wrong}@${host}:${port}/notes"`,
      'secrets-manager': `dsn: "postgresql://${host}:${port}/notes"\n    secrets_manager:\n      secret_id: demo/notes-app\n      region: us-east-1\n      endpoint: ${demo.database.secretsManager?.endpoint}`,
    };
    secrets.set('test superuser password', demo.postgres.password);
    for (const [name, connection] of Object.entries(configs)) {
      const file = join(doctorConfigs, `${name}.yaml`);
      writeFileSync(file, `connections:\n  default:\n    ${connection}\n    connection_max_lifetime: 14m\n`);
      for (const format of [[], ['--json']]) {
        const output = await doctor(cli, file, ...format);
        expect(output.length).toBeGreaterThan(0);
        seen(`doctor ${name} ${format.join('') || 'text'}`, output);
      }
    }
    expect(surfaces.find((surface) => surface.where === 'doctor secrets-manager text')?.text).toMatch(/connect\s+PASS/);
    expect(leaks()).toEqual([]);
  }, 90_000);

  it("through a custom source's version, in stats() (issue 20)", async () => {
    const role = await createTestRole(demo.postgres, 'leak_ver');
    secrets.set('a password quoted in a version', role.password);
    const custom = await DbService.create({
      name: 'leak-version',
      dsn: role.bareDsn,
      credentialProvider: {
        name: 'custom',
        fetch: async () => ({ username: role.username, password: role.password, version: `lease/${role.password}` }),
      },
    });
    await custom.query('SELECT 1');
    seen('stats() with a version quoting the password', JSON.stringify(custom.stats()));
    expect(custom.stats().credentials.version).toBe('lease/[redacted]');
    await custom.onApplicationShutdown();
    expect(leaks()).toEqual([]);
  });

  it('in YAML warnings (an unknown tag on a dsn line), from the loader and from the doctor (issue 20)', async () => {
    const wrong = distinctive('LeakYamlTagPw');
    secrets.set('a password on a YAML line with an unknown tag', wrong);
    const file = join(doctorConfigs, 'tagged.yaml');
    writeFileSync(
      file,
      `connections:\n  default:\n    dsn: !env postgresql://app:${wrong}@127.0.0.1:${await freePort()}/app\n    connection_timeout: 2s\n`,
    );
    const loader = new URL('../../dist/index.js', import.meta.url).href;
    const script = `const { loadDatabaseConfigFile } = await import(${JSON.stringify(loader)}); loadDatabaseConfigFile(${JSON.stringify(file)});`;
    const loaded = await new Promise<string>((resolve) => {
      execFile(
        process.execPath,
        ['--input-type=module', '-e', script],
        { encoding: 'utf8', timeout: 30_000 },
        (_, stdout, stderr) => resolve(`${stdout}${stderr}`),
      );
    });
    expect(loaded).toMatch(
      /YAMLWarning: .*tagged\.yaml: YAML warning TAG_RESOLVE_FAILED at line 3, column \d+; check the YAML there/,
    );
    seen('stderr of a program loading a YAML file with a warning', loaded);
    const cli = new URL('../../dist/cli/main.js', import.meta.url).pathname;
    for (const format of [[], ['--json']])
      seen(`doctor on a YAML file with a warning ${format.join('') || 'text'}`, await doctor(cli, file, ...format));
    expect(leaks()).toEqual([]);
  }, 60_000);

  it('from an options module (issue 23): a factory that throws quoting a DSN, and a provider the database refuses, through doctor and exec', async () => {
    const cli = new URL('../../dist/cli/main.js', import.meta.url).pathname;
    const { host, port } = demo.postgres;
    const quoted = distinctive('LeakModuleFactoryPw');
    const refused = distinctive('LeakModuleProviderPw');
    secrets.set("a DSN password in an options module's error", quoted);
    secrets.set("a refused password from an options module's provider", refused);
    const throwing = join(doctorConfigs, 'throwing.config.mjs');
    writeFileSync(
      throwing,
      `export default () => { throw new Error('no route to postgresql://app:${quoted}@db.internal/app'); };\n`,
    );
    const refusing = join(doctorConfigs, 'refusing.config.cjs');
    writeFileSync(
      refusing,
      `module.exports = { dsn: 'postgresql://notes_app@${host}:${port}/notes', connectionTimeout: '2s', ` +
        `credentialProvider: { name: 'mine', fetch: async () => ({ username: 'notes_app', password: '${refused}' }) } };\n`,
    );
    for (const file of [throwing, refusing]) {
      for (const format of [[], ['--json']])
        seen(`doctor on ${file} ${format.join('') || 'text'}`, await doctor(cli, file, ...format));
      const exec = await new Promise<string>((resolve) => {
        execFile(
          process.execPath,
          [cli, 'exec', '--config', file, '--', 'psql', '-XAtc', 'SELECT 1'],
          { encoding: 'utf8', timeout: 30_000 },
          (_, stdout, stderr) => resolve(`${stdout}${stderr}`),
        );
      });
      seen(`exec on ${file}`, exec);
    }
    expect(surfaces.find((surface) => surface.where === `doctor on ${throwing} text`)?.text).toMatch(
      /the exported function failed: no route to postgresql:\/\/app:\[redacted\]@db\.internal/,
    );
    expect(surfaces.find((surface) => surface.where === `doctor on ${refusing} text`)?.text).toMatch(/connect\s+FAIL/);
    expect(leaks()).toEqual([]);
  }, 90_000);

  it('in any log line of all of the above', () => {
    expect(log.lines.length).toBeGreaterThan(10);
    seen('Nest log', JSON.stringify(log.lines));
    expect(leaks()).toEqual([]);
    if (process.env.REPORT_FIGURES)
      console.log(
        `secret sweep: ${secrets.size} secrets, none in ${surfaces.length} surfaces (${log.lines.length} log lines)`,
      );
  });

  it('negative control: the same probes find the password in a raw pg.Pool and in an error that quotes it', async () => {
    const pool = new pg.Pool({ connectionString: demo.postgres.url });
    const client = await pool.connect();
    const hidden = inspect(pool, { showHidden: true, depth: 10, getters: true });
    client.release();
    await pool.end();
    expect(hidden).toContain(demo.postgres.password);
    const quoting = new Error('outer', { cause: new Error(`login with ${demo.postgres.password} failed`) });
    expect(inspect(quoting, { showHidden: true, depth: 10 })).toContain(demo.postgres.password);
  });
});

import type { AwsCredentialIdentity } from '@smithy/types';
import pg from 'pg';
import { renderDoctorReport, runDoctor } from '../../../src/cli/index.js';
import { DbService, DsqlCredentialProvider } from '../../../src/index.js';
import { RdsIamProxy, startTestPostgres, type TestPostgres } from '../../../src/testing/index.js';
import { captureNestLog } from '../../support/captured-log.js';
import { iamProxyFor } from '../../support/iam.js';
import { runLoad } from '../../support/load.js';
import { createTestRole, type TestRole } from '../../support/roles.js';

const testCredentials = {
  accessKeyId: 'AKIDEXAMPLEDSQL00001',
  secretAccessKey: 'test-secret-access-key-for-the-dsql-emulator',
};
let server: TestPostgres;
let role: TestRole;
let proxy: RdsIamProxy;
let endpoint: { host: string; port: number };

beforeAll(async () => {
  // The SDK's default provider chain reads these, as it would on a laptop with a profile.
  process.env.AWS_ACCESS_KEY_ID = testCredentials.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = testCredentials.secretAccessKey;
  server = await startTestPostgres();
  role = await createTestRole(server, 'dsql');
});

beforeEach(async () => {
  proxy = iamProxyFor(server, role, { service: 'dsql', credentials: testCredentials, tokenLifetimeMs: 4_000 });
  endpoint = await proxy.start();
});

afterEach(() => proxy.stop());
afterAll(() => server.stop());

function dsqlOptions(overrides: object = {}) {
  return {
    host: endpoint.host,
    port: endpoint.port,
    database: role.username,
    user: role.username,
    maxOpenConnections: 8,
    maxIdleConnections: 4,
    connectionMaxLifetime: '1s',
    ...overrides,
  };
}

/** Signs DSQL tokens for the proxy's host; AWS credentials from the default chain unless given. */
function tokenSigner(
  credentials?: ConstructorParameters<typeof DsqlCredentialProvider>[0]['credentials'],
  tokenTtlMs = 60_000,
) {
  return new DsqlCredentialProvider({
    region: 'us-east-1',
    username: role.username,
    signingHost: endpoint.host,
    tokenTtlMs,
    expiresInMs: 900_000,
    credentials,
  });
}

describe('Aurora DSQL auth through the emulator', () => {
  it('runs 20 s at concurrency 16 with tokens the proxy accepts for 4 s: no failure, no refused login, few signatures, labelled dsql', async () => {
    const log = captureNestLog();
    let stats;
    let load;
    try {
      const db = await DbService.create(
        dsqlOptions({
          name: 'dsql-load',
          dsqlAuth: { enabled: true, region: 'us-east-1', tokenTtl: '2s', allowPlaintext: true },
        }),
      );
      load = await runLoad(16, 20_000, () => db.query('SELECT pg_sleep(0.002)'));
      // Read after shutdown: a login still under way when the load ends is counted by the proxy at once,
      // by the pool when it completes.
      await db.onApplicationShutdown();
      stats = db.stats();
    } finally {
      log.restore();
    }

    expect(load.errors).toEqual([]);
    expect(load.failed).toBe(0);
    expect(proxy.rejected).toBe(0);
    expect(proxy.accepted).toBe(stats.opened);
    // Signatures follow time / tokenTtl, not the number of connections opened.
    expect(stats.opened).toBeGreaterThan(60);
    expect(proxy.tokens.size).toBeLessThanOrEqual(Math.ceil(20 / 1.5) + 2);
    expect(proxy.tokens.size).toBeGreaterThanOrEqual(5);
    expect(stats.credentials).toMatchObject({ source: 'dsql', username: role.username, consecutiveFailures: 0 });
    // The log names the source and the token's action and time, never the token.
    expect(log.of('nestjs-rotating-pg:dsql-load').map((line) => line.message)).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^new credentials from dsql \\(version DbConnect token signed [0-9T:.Z-]+\\) for user ${role.username}`,
        ),
      ),
    );
    // No plaintext warning: allowPlaintext asked for it, as with awsIamAuth.
    expect(
      log.of('nestjs-rotating-pg:dsql-load').filter((line) => /plaintext|without TLS/i.test(line.message)),
    ).toEqual([]);
    const everything = JSON.stringify(stats) + log.lines.map((line) => line.message).join('\n');
    expect(everything).not.toMatch(/X-Amz-Signature/);
    for (const token of proxy.tokens) expect(everything).not.toContain(token);
  }, 60_000);

  it('refuses a token signed with other credentials as DSQL does, and the error says what to check', async () => {
    const stranger = tokenSigner({ accessKeyId: testCredentials.accessKeyId, secretAccessKey: 'not-the-right-secret' });
    const db = await DbService.create(dsqlOptions({ credentialProvider: stranger, connectionTimeout: '2s' }));
    const error = await db.query('SELECT 1').catch((caught: Error) => caught);
    await db.onApplicationShutdown();
    expect(error).toMatchObject({ name: 'DatabaseAuthError', code: '28000' });
    expect((error as Error).message).toMatch(/IAM authentication failed for user .*dsql:DbConnect/);
    expect((error as Error).message).not.toMatch(/X-Amz-Signature|not-the-right-secret/);
    expect(proxy.rejections).toContain('bad signature');
  }, 20_000);

  it('the front checks the action: a DbConnect token does not log in as admin, a DbConnectAdmin one only as admin', async () => {
    const login = async (user: string, password: string) => {
      const client = new pg.Client({ ...endpoint, user, database: role.username, password });
      const error = await client.connect().then(
        () => undefined,
        (caught: Error) => caught,
      );
      await client.end().catch(() => undefined);
      return error;
    };
    const dbConnect = await tokenSigner().fetch();
    expect(await login('admin', dbConnect.password)).toMatchObject({
      code: '28000',
      message: 'IAM authentication failed for user "admin"',
    });
    const admin = await new DsqlCredentialProvider({
      region: 'us-east-1',
      username: 'admin',
      signingHost: endpoint.host,
      tokenTtlMs: 60_000,
      expiresInMs: 900_000,
    }).fetch();
    // Signature and action right; the emulator has no admin behind it.
    expect(await login('admin', admin.password)).toMatchObject({ code: '28000' });
    expect(await login(role.username, admin.password)).toMatchObject({ code: '28000' });
    expect(proxy.rejections).toEqual(['wrong action', 'unknown user', 'wrong action']);
  }, 20_000);

  it('doctor: signs a DbConnect token, connects, and names neither the token nor the keys', async () => {
    const report = await runDoctor(
      dsqlOptions({
        connectionMaxLifetime: '14m',
        dsqlAuth: { enabled: true, region: 'us-east-1', allowPlaintext: true },
      }),
    );
    const text = renderDoctorReport(report, 'options');
    expect(report.checks.find((row) => row.check === 'credentials')).toMatchObject({
      verdict: 'pass',
      detail: expect.stringMatching(
        new RegExp(
          `^signed an Aurora DSQL DbConnect token for ${role.username}@127\\.0\\.0\\.1 in us-east-1, reused until `,
        ),
      ),
    });
    expect(report.checks.find((row) => row.check === 'connect')).toMatchObject({ verdict: 'pass' });
    expect(report.ok).toBe(true);
    expect(text + JSON.stringify(report)).not.toMatch(/X-Amz-Signature|test-secret-access-key/);
  }, 30_000);
});

describe('signing credentials that expire before the token', () => {
  /**
   * Temporary credentials as the SDK hands them out (SSO, IRSA, ECS): each session lasts 3 s and
   * a new one is issued once less than half is left. The front refuses a token once the session
   * that signed it has expired, as AWS does, whatever the token's own 15 minutes.
   */
  function shortSessions() {
    const ends = new Map<string, number>();
    let current: AwsCredentialIdentity | undefined;
    const provide = async (): Promise<AwsCredentialIdentity> => {
      if (!current || current.expiration!.getTime() - Date.now() < 1_500) {
        current = {
          ...testCredentials,
          sessionToken: `session-${ends.size + 1}`,
          expiration: new Date(Date.now() + 3_000),
        };
        ends.set(current.sessionToken!, current.expiration!.getTime());
      }
      return current;
    };
    return { ends, provide };
  }

  it('tokens reused for 10 minutes are renewed before their 3-second session ends: 0 failed queries, no refused login', async () => {
    const sessions = shortSessions();
    const front = iamProxyFor(server, role, {
      service: 'dsql',
      credentials: testCredentials,
      sessionExpiresAt: (token) => (token ? sessions.ends.get(token) : undefined),
    });
    const at = await front.start();
    try {
      const signer = new DsqlCredentialProvider({
        region: 'us-east-1',
        username: role.username,
        signingHost: at.host,
        tokenTtlMs: 600_000,
        expiresInMs: 900_000,
        credentials: sessions.provide,
      });
      const db = await DbService.create({ ...dsqlOptions(), ...at, credentialProvider: signer });
      const load = await runLoad(8, 12_000, () => db.query('SELECT pg_sleep(0.002)'));
      await db.onApplicationShutdown();
      expect(load.errors).toEqual([]);
      expect(load.failed).toBe(0);
      expect(front.rejections).toEqual([]);
      expect(sessions.ends.size).toBeGreaterThanOrEqual(4);
      // Logins went on through the sessions with fresh tokens (the last session may end the run before any login).
      expect(front.tokens.size).toBeGreaterThanOrEqual(4);
    } finally {
      await front.stop();
    }
  }, 40_000);

  it('negative control: the same tokens with the expiration hidden are kept past their session and refused', async () => {
    const sessions = shortSessions();
    const front = iamProxyFor(server, role, {
      service: 'dsql',
      credentials: testCredentials,
      sessionExpiresAt: (token) => (token ? sessions.ends.get(token) : undefined),
    });
    const at = await front.start();
    try {
      const withoutExpiration = async () => {
        const { expiration: _hidden, ...identity } = await sessions.provide();
        return identity;
      };
      const signer = new DsqlCredentialProvider({
        region: 'us-east-1',
        username: role.username,
        signingHost: at.host,
        tokenTtlMs: 600_000,
        expiresInMs: 900_000,
        credentials: withoutExpiration,
      });
      const db = await DbService.create({ ...dsqlOptions(), ...at, credentialProvider: signer });
      await runLoad(8, 8_000, () => db.query('SELECT pg_sleep(0.002)'));
      await db.onApplicationShutdown();
      expect(front.rejections.length).toBeGreaterThan(0);
      expect(new Set(front.rejections)).toEqual(new Set(['signing credentials expired']));
    } finally {
      await front.stop();
    }
  }, 40_000);
});

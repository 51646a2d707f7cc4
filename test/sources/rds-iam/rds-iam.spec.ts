import { DbService } from '../../../src/index.js';
import { type RdsIamProxy, type TestCertificate, testCertificate } from '../../../src/testing/index.js';
import { runLoad } from '../../support/load.js';
import { iamProxyFor, tokenCachedForever, tokenSigner, useIamEndpoint } from '../../support/iam.js';

const testCredentials = {
  accessKeyId: 'AKIDEXAMPLETEST00001',
  secretAccessKey: 'test-secret-access-key-for-the-emulator',
};
const iam = useIamEndpoint('iam', { credentials: testCredentials, tokenLifetimeMs: 4_000 });

/** Options for a pool behind a proxy (this test's plain one unless told). */
function iamOptions(overrides: object = {}, at: { host: string; port: number } = iam.endpoint) {
  return {
    host: at.host,
    port: at.port,
    database: iam.role.username,
    user: iam.role.username,
    maxOpenConnections: 8,
    maxIdleConnections: 4,
    connectionMaxLifetime: '1s',
    ...overrides,
  };
}

describe('RDS IAM auth through the emulator', () => {
  it('runs 30 s at concurrency 16 with tokens that live 4 s: no failure, no refused login, few signatures', async () => {
    const db = await DbService.create(
      iamOptions({ awsIamAuth: { enabled: true, region: 'us-east-1', tokenTtl: '2s', allowPlaintext: true } }),
    );
    const load = await runLoad(16, 30_000, () => db.query('SELECT pg_sleep(0.002)'));
    // Read after shutdown: a login still under way when the load ends
    // is counted by the proxy at once, by the pool when it completes.
    await db.onApplicationShutdown();
    const stats = db.stats();

    expect(load.errors).toEqual([]);
    expect(load.failed).toBe(0);
    expect(iam.proxy.rejected).toBe(0);
    expect(iam.proxy.accepted).toBe(stats.opened);
    // Signatures follow time / tokenTtl, not the number of connections opened.
    expect(stats.opened).toBeGreaterThan(100);
    expect(iam.proxy.tokens.size).toBeLessThanOrEqual(Math.ceil(30 / 1.5) + 2);
    expect(stats.credentials).toMatchObject({ source: 'rds-iam', username: iam.role.username, consecutiveFailures: 0 });
    expect(JSON.stringify(stats)).not.toMatch(/X-Amz-Signature/);
  }, 60_000);

  it('refuses a token signed with other credentials with 28000, and the error says what to check', async () => {
    const stranger = tokenSigner(iam, {
      accessKeyId: testCredentials.accessKeyId,
      secretAccessKey: 'not-the-right-secret',
    });
    const db = await DbService.create(iamOptions({ credentialProvider: stranger, connectionTimeout: '2s' }));
    const error = await db.query('SELECT 1').catch((caught: Error) => caught);
    await db.onApplicationShutdown();
    expect(error).toMatchObject({ name: 'DatabaseAuthError', code: '28000' });
    expect((error as Error).message).toMatch(/PAM authentication failed for user .*connectionMaxLifetime below 15m/);
    expect((error as Error).message).not.toMatch(/X-Amz-Signature|not-the-right-secret/);
    expect(iam.proxy.rejections).toContain('bad signature');
  }, 20_000);

  it("negative control: a store that caches its token forever (go-db-credential-refresh's bug) is refused once the token expires, and the module recovers by forcing a new one", async () => {
    // The buggy store, told when its token was refused: it re-signs only then.
    const cachesForever = tokenCachedForever(tokenSigner(iam), { reSignWhenRefused: true });
    const db = await DbService.create(iamOptions({ credentialProvider: cachesForever }));
    const load = await runLoad(8, 10_000, () => db.query('SELECT pg_sleep(0.002)'));
    const stats = db.stats();
    await db.onApplicationShutdown();

    expect(iam.proxy.rejected).toBeGreaterThan(0);
    expect(iam.proxy.rejections.every((reason) => reason === 'expired')).toBe(true);
    expect(stats.authFailures).toBeGreaterThan(0);
    expect(stats.authRecoveries).toBeGreaterThan(0);
    expect(cachesForever.signed).toBeGreaterThanOrEqual(2);
    expect(load.failed).toBe(0);
  }, 30_000);
});

describe('RDS IAM over TLS', () => {
  let tlsProxy: RdsIamProxy;
  let certificate: TestCertificate;
  let tlsEndpoint: { host: string; port: number };

  beforeAll(async () => {
    certificate = testCertificate();
    tlsProxy = iamProxyFor(iam.server, iam.role, {
      credentials: testCredentials,
      tls: certificate,
      requireTls: true,
    });
    tlsEndpoint = await tlsProxy.start();
  });

  afterAll(() => tlsProxy.stop());

  it('logs in with a verified TLS connection, as RDS requires for IAM', async () => {
    const db = await DbService.create(
      iamOptions({ ssl: { ca: certificate.cert }, awsIamAuth: { enabled: true, region: 'us-east-1' } }, tlsEndpoint),
    );
    const { rows } = await db.query<{ user: string }>('SELECT current_user AS user');
    await db.onApplicationShutdown();
    expect(rows[0]!.user).toBe(iam.role.username);
    expect(tlsProxy.accepted).toBe(1);
  });

  it('refuses a plain-text login like RDS, and the error points at TLS', async () => {
    const db = await DbService.create(
      iamOptions(
        { connectionTimeout: '2s', awsIamAuth: { enabled: true, region: 'us-east-1', allowPlaintext: true } },
        tlsEndpoint,
      ),
    );
    const error = await db.query('SELECT 1').catch((caught: Error) => caught);
    await db.onApplicationShutdown();
    expect(error).toMatchObject({ name: 'DatabaseAuthError', code: '28000' });
    expect((error as Error).message).toMatch(/no pg_hba\.conf entry.*RDS requires TLS for IAM/);
    // No credentials cure a missing pg_hba line: one refusal, no token re-signing loop.
    expect(tlsProxy.rejections).toEqual(['plaintext']);
  }, 20_000);
});

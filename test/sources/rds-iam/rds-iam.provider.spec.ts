import { RdsIamCredentialProvider } from '../../../src/index.js';

const credentials = { accessKeyId: 'AKIDUNITTEST00000001', secretAccessKey: 'unit-test-secret-key' };

function provider(overrides: Partial<ConstructorParameters<typeof RdsIamCredentialProvider>[0]> = {}) {
  return new RdsIamCredentialProvider({
    region: 'eu-west-1',
    username: 'iam_app',
    signingHost: 'mydb.abc.eu-west-1.rds.amazonaws.com',
    signingPort: 5432,
    tokenTtlMs: 600_000,
    credentials,
    ...overrides,
  });
}

describe('RdsIamCredentialProvider', () => {
  it('signs a token for the endpoint, user and region, reused until tokenTtl', async () => {
    const before = Date.now();
    const token = await provider().fetch();
    const url = new URL(`https://${token.password}`);
    expect(url.host).toBe('mydb.abc.eu-west-1.rds.amazonaws.com:5432');
    expect(url.searchParams.get('Action')).toBe('connect');
    expect(url.searchParams.get('DBUser')).toBe('iam_app');
    expect(url.searchParams.get('X-Amz-Credential')).toMatch(
      /^AKIDUNITTEST00000001\/\d{8}\/eu-west-1\/rds-db\/aws4_request$/,
    );
    expect(url.searchParams.get('X-Amz-Expires')).toBe('900');
    expect(token.username).toBe('iam_app');
    expect(token.expiresAt!.getTime() - before).toBeGreaterThanOrEqual(600_000);
    expect(token.expiresAt!.getTime() - Date.now()).toBeLessThanOrEqual(600_000);
    expect(token.version).not.toContain(token.password);
  });

  it('signs a new token on every fetch (the cache decides when to fetch)', async () => {
    const source = provider();
    const first = await source.fetch();
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect((await source.fetch()).password).not.toBe(first.password);
  });

  it('lets a token die with the temporary AWS credentials that signed it', async () => {
    const expiration = new Date(Date.now() + 5 * 60_000);
    const token = await provider({
      credentials: async () => ({ ...credentials, sessionToken: 'session', expiration }),
    }).fetch();
    expect(token.expiresAt!.getTime()).toBeLessThanOrEqual(expiration.getTime() - 60_000);
    expect(new URL(`https://${token.password}`).searchParams.get('X-Amz-Security-Token')).toBe('session');
  });

  it('reports an AWS credentials failure as an error, without a token', async () => {
    const failing = provider({
      credentials: async () => {
        throw new Error('Could not load credentials from any providers');
      },
    });
    await expect(failing.fetch()).rejects.toThrow('Could not load credentials from any providers');
  });
});

import { DsqlCredentialProvider } from '../../../src/index.js';
import { importDsqlSigner } from '../../../src/sources/dsql/dsql-signer.js';

const credentials = { accessKeyId: 'AKIDUNITTEST00000002', secretAccessKey: 'unit-test-secret-key' };
const endpoint = 'abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws';

function provider(overrides: Partial<ConstructorParameters<typeof DsqlCredentialProvider>[0]> = {}) {
  return new DsqlCredentialProvider({
    region: 'us-east-1',
    username: 'app_role',
    signingHost: endpoint,
    tokenTtlMs: 600_000,
    expiresInMs: 900_000,
    credentials,
    ...overrides,
  });
}

describe('DsqlCredentialProvider', () => {
  it('signs a DbConnect token for the cluster endpoint alone (no port, no user), reused until tokenTtl', async () => {
    const before = Date.now();
    const token = await provider().fetch();
    const url = new URL(`https://${token.password}`);
    expect(url.host).toBe(endpoint);
    expect(url.searchParams.get('Action')).toBe('DbConnect');
    expect(url.searchParams.has('DBUser')).toBe(false);
    expect(url.searchParams.get('X-Amz-Credential')).toMatch(
      /^AKIDUNITTEST00000002\/\d{8}\/us-east-1\/dsql\/aws4_request$/,
    );
    expect(url.searchParams.get('X-Amz-Expires')).toBe('900');
    expect(token.username).toBe('app_role');
    expect(token.expiresAt!.getTime() - before).toBeGreaterThanOrEqual(600_000);
    expect(token.expiresAt!.getTime() - Date.now()).toBeLessThanOrEqual(600_000);
    expect(token.version).toMatch(/^DbConnect token signed /);
    expect(token.version).not.toContain(token.password);
  });

  it('signs DbConnectAdmin for the admin role, with the expiry asked for', async () => {
    const token = await provider({ username: 'admin', expiresInMs: 3_600_000 }).fetch();
    const url = new URL(`https://${token.password}`);
    expect(url.searchParams.get('Action')).toBe('DbConnectAdmin');
    expect(url.searchParams.get('X-Amz-Expires')).toBe('3600');
  });

  it('reports an AWS credentials failure as an error, without a token', async () => {
    const failing = provider({
      credentials: async () => {
        throw new Error('Could not load credentials from any providers');
      },
    });
    await expect(failing.fetch()).rejects.toThrow('Could not load credentials from any providers');
  });

  it('names the install command when @aws-sdk/dsql-signer is missing, and rethrows any other failure as it is', async () => {
    const notFound = Object.assign(
      new Error("Cannot find package '@aws-sdk/dsql-signer' imported from /app/dist/sources/dsql/dsql-signer.js"),
      {
        code: 'ERR_MODULE_NOT_FOUND',
      },
    );
    await expect(importDsqlSigner(() => Promise.reject(notFound))).rejects.toThrow(
      'dsqlAuth needs the @aws-sdk/dsql-signer package, an optional peer of nestjs-rotating-pg: npm install @aws-sdk/dsql-signer',
    );
    // One of its own dependencies missing is not "install the signer".
    const depMissing = Object.assign(
      new Error(
        "Cannot find package '@smithy/core' imported from /app/node_modules/@aws-sdk/dsql-signer/dist-cjs/index.js",
      ),
      {
        code: 'ERR_MODULE_NOT_FOUND',
      },
    );
    await expect(importDsqlSigner(() => Promise.reject(depMissing))).rejects.toBe(depMissing);
  });
});

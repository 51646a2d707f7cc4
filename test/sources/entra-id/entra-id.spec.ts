import { tokenFrontDbOptions } from '../../support/token-front-suite.js';
import { randomUUID } from 'node:crypto';
import { inspect } from 'node:util';
import pg from 'pg';
import { renderDoctorReport, runDoctor } from '../../../src/cli/index.js';
import { DbService, EntraIdCredentialProvider } from '../../../src/index.js';
import { importDefaultAzureCredential } from '../../../src/sources/entra-id/azure-identity.js';
import { usernameFromEntraToken } from '../../../src/sources/index.js';
import { captureNestLog } from '../../support/captured-log.js';
import { entraCredential, useEntraIdEndpoint } from '../../support/entra-id.js';

const SCOPE = 'https://ossrdbms-aad.database.windows.net/.default';
const azure = useEntraIdEndpoint('entra', { tokenLifetimeMs: 60_000 });

/** An unsigned JWT with these claims: enough for reading the user out of a token. */
function tokenWith(claims: Record<string, unknown>): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'RS256', typ: 'JWT' })}.${part(claims)}.c2lnbmF0dXJl`;
}

describe('the database user an Entra ID token names (as azure-postgresql-auth reads it)', () => {
  it.each([
    [
      'a user-assigned managed identity: the last segment of xms_mirid',
      {
        xms_mirid:
          '/subscriptions/s/resourcegroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/orders-api',
        upn: 'ignored@example.com',
      },
      'orders-api',
    ],
    ['a user: upn', { upn: 'ada@example.com', preferred_username: 'other' }, 'ada@example.com'],
    ['preferred_username without upn', { preferred_username: 'grace@example.com' }, 'grace@example.com'],
    ['unique_name last', { unique_name: 'live.com#linus@example.com' }, 'live.com#linus@example.com'],
    [
      'an xms_mirid that is no user-assigned identity falls through to upn',
      { xms_mirid: '/subscriptions/s/resourcegroups/rg/providers/Microsoft.Compute/virtualMachines/vm1', upn: 'u@x' },
      'u@x',
    ],
    ['a service principal: no name at all', { appid: randomUUID(), oid: randomUUID() }, undefined],
  ])('%s', (_label, claims, expected) => {
    expect(usernameFromEntraToken(tokenWith(claims))).toBe(expected);
  });

  it('a password that is no JWT names nobody', () => {
    expect(usernameFromEntraToken('not-a-token')).toBeUndefined();
  });
});

describe('Entra ID tokens from @azure/identity through the Azure Database for PostgreSQL front', () => {
  it('logs in over verified TLS with a ClientSecretCredential token, the front checking signature, audience, expiry and principal', async () => {
    const log = captureNestLog();
    try {
      const db = await DbService.create(
        tokenFrontDbOptions(azure, {
          name: 'entra-basic',
          entraIdAuth: { enabled: true, credential: entraCredential(azure, azure.client) },
        }),
      );
      // The front requires TLS (requireTls): the login itself is the proof of it.
      const { rows } = await db.query<{ user: string }>('SELECT current_user AS user');
      const stats = db.stats();
      await db.onApplicationShutdown();
      expect(rows[0]!.user).toBe(azure.role.username);
      expect(azure.front.accepted).toBe(1);
      expect(azure.front.rejected).toBe(0);
      expect(stats.credentials).toMatchObject({ source: 'entra-id', username: azure.role.username });
      // Expiry from the token: about a minute ahead with these test tokens.
      const expiresIn = new Date(stats.credentials.expiresAt!).getTime() - Date.now();
      expect(expiresIn).toBeGreaterThan(30_000);
      expect(expiresIn).toBeLessThanOrEqual(61_000);
      const lines = log.of('nestjs-rotating-pg:entra-basic').map((line) => line.message);
      expect(lines).toContainEqual(
        expect.stringMatching(/^new credentials from entra-id \(version Entra ID token valid until [0-9T:.Z-]+\)/),
      );
      for (const token of azure.front.tokens) expect(lines.join('\n')).not.toContain(token);
    } finally {
      log.restore();
    }
  }, 30_000);

  it('takes the user from the token when the options name none (a user principal: upn)', async () => {
    const user = azure.entra.addClient(azure.role.username, { upn: azure.role.username });
    const { user: _user, ...withoutUser } = tokenFrontDbOptions(azure);
    const db = await DbService.create({
      ...withoutUser,
      entraIdAuth: { enabled: true, credential: entraCredential(azure, user) },
    });
    const { rows } = await db.query<{ user: string }>('SELECT current_user AS user');
    await db.onApplicationShutdown();
    expect(rows[0]!.user).toBe(azure.role.username);
  }, 30_000);

  it('a token naming no user and no user in the options: the error says which key to set', async () => {
    const provider = new EntraIdCredentialProvider({
      scope: SCOPE,
      credential: entraCredential(azure, azure.client),
      dbUserKey: 'entraIdAuth.dbUser',
    });
    await expect(provider.fetch()).rejects.toThrow(
      /no database user: the Entra ID access token names none .*set entraIdAuth\.dbUser or put the user in the dsn/,
    );
  }, 30_000);

  it('a token of another principal: the front refuses it (28P01) and the error names the login, not the token', async () => {
    const stranger = azure.entra.addClient('someone_else');
    const db = await DbService.create(
      tokenFrontDbOptions(azure, {
        entraIdAuth: { enabled: true, credential: entraCredential(azure, stranger) },
        connectionTimeout: '2s',
      }),
    );
    const error = await db.query('SELECT 1').catch((caught: Error) => caught);
    await db.onApplicationShutdown();
    expect(error).toMatchObject({ name: 'DatabaseAuthError', code: '28P01' });
    expect((error as Error).message).toMatch(`password authentication failed for user "${azure.role.username}"`);
    expect((error as { hint?: string }).hint).toMatch(/Entra ID .*pgaadauth_create_principal/);
    expect(new Set(azure.front.rejections)).toEqual(new Set(['token of another principal']));
    for (const token of azure.front.tokens) expect(String((error as Error).message)).not.toContain(token);
  }, 30_000);

  it('a wrong client secret: the start fails typed, naming the source and AADSTS7000215, without the secret', async () => {
    const wrongSecret = `wrong-${randomUUID()}`;
    const error = await DbService.create(
      tokenFrontDbOptions(azure, {
        entraIdAuth: { enabled: true, credential: entraCredential(azure, azure.client, wrongSecret) },
        connectionTimeout: '2s',
      }),
    ).catch((caught: Error) => caught);
    expect(error).toMatchObject({ name: 'CredentialSourceError' });
    expect((error as Error).message).toMatch(
      /the first fetch from entra-id failed .*AADSTS7000215: Invalid client secret/,
    );
    expect(inspect(error, { showHidden: true, depth: 10 }) + JSON.stringify(error)).not.toContain(wrongSecret);
    expect(azure.front.accepted + azure.front.rejected).toBe(0);
  }, 30_000);

  it('the front refuses a forged signature, an expired token and plain text; the same token logs in otherwise', async () => {
    const login = async (password: string, ssl: object | false = { ca: azure.certificate.cert }) => {
      const client = new pg.Client({
        ...azure.endpoint,
        user: azure.role.username,
        database: azure.role.username,
        password,
        ssl,
      });
      const error = await client.connect().then(
        () => undefined,
        (caught: Error) => caught,
      );
      await client.end().catch(() => undefined);
      return error;
    };
    const good = await entraCredential(azure, azure.client).getToken(SCOPE);
    const [header, claims] = good.token.split('.');
    expect(await login(`${header}.${claims}.${Buffer.from('forged').toString('base64url')}`)).toMatchObject({
      code: '28P01',
    });
    // The front's clock past the token's exp (a minute with these test tokens).
    azure.skewMs = 61_000;
    expect(await login(good.token)).toMatchObject({ code: '28P01' });
    azure.skewMs = 0;
    expect(await login(good.token, false)).toMatchObject({ code: '28000' });
    expect(await login(good.token)).toBeUndefined();
    expect(azure.front.rejections).toEqual(['bad signature', 'expired', 'plaintext']);
  }, 30_000);

  it('refuses a plaintext connection unless allowPlaintext, and unverified TLS unless allowUnverifiedTls', async () => {
    const credential = entraCredential(azure, azure.client);
    await expect(
      DbService.create(tokenFrontDbOptions(azure, { ssl: undefined, entraIdAuth: { enabled: true, credential } })),
    ).rejects.toThrow(/entraIdAuth: Azure Database for PostgreSQL accepts connections over TLS only/);
    await expect(
      DbService.create(
        tokenFrontDbOptions(azure, { ssl: { rejectUnauthorized: false }, entraIdAuth: { enabled: true, credential } }),
      ),
    ).rejects.toThrow(/entraIdAuth: TLS without verifying the server .*entraIdAuth\.allowUnverifiedTls: true/);
  });

  it('doctor: obtains a token, connects, and shows neither the token nor the secret', async () => {
    const report = await runDoctor(
      tokenFrontDbOptions(azure, {
        connectionMaxLifetime: '14m',
        entraIdAuth: { enabled: true, credential: entraCredential(azure, azure.client) },
      }),
    );
    const text = renderDoctorReport(report, 'options');
    expect(report.checks.find((row) => row.check === 'credentials')).toMatchObject({
      verdict: 'pass',
      detail: expect.stringMatching(
        new RegExp(
          `^obtained a Microsoft Entra ID access token \\(scope ${SCOPE.replace(/[./]/g, '\\$&')}\\) for ${azure.role.username}, reused until `,
        ),
      ),
    });
    expect(report.checks.find((row) => row.check === 'connect')).toMatchObject({ verdict: 'pass' });
    expect(report.ok).toBe(true);
    for (const token of azure.front.tokens) expect(text + JSON.stringify(report)).not.toContain(token);
    expect(text + JSON.stringify(report)).not.toContain(azure.client.clientSecret);
  }, 30_000);

  it('without @azure/identity installed, the default credential fails with the install command', async () => {
    const missing = Object.assign(new Error("Cannot find package '@azure/identity' imported from x"), {
      code: 'ERR_MODULE_NOT_FOUND',
    });
    await expect(importDefaultAzureCredential(() => Promise.reject(missing))).rejects.toThrow(
      'entraIdAuth needs the @azure/identity package, an optional peer of nestjs-rotating-pg: npm install @azure/identity',
    );
    const inside = Object.assign(new Error("Cannot find package '@azure/msal-node' imported from x"), {
      code: 'ERR_MODULE_NOT_FOUND',
    });
    await expect(importDefaultAzureCredential(() => Promise.reject(inside))).rejects.toBe(inside);
  });
});

import { tokenFrontDbOptions } from '../../support/token-front-suite.js';
import { inspect } from 'node:util';
import { renderDoctorReport, runDoctor } from '../../../src/cli/index.js';
import { CloudSqlIamCredentialProvider, DbService } from '../../../src/index.js';
import { importGoogleAuth } from '../../../src/sources/cloud-sql-iam/google-auth.js';
import { cloudSqlIamUser } from '../../../src/sources/index.js';
import { captureNestLog } from '../../support/captured-log.js';
import { googleAuthFor, useCloudSqlIamEndpoint } from '../../support/cloud-sql-iam.js';

const gcp = useCloudSqlIamEndpoint('gsql', { tokenLifetimeMs: 60_000 });

describe('the Cloud SQL IAM database user of a principal', () => {
  it.each([
    ['orders-api@shop-prod.iam.gserviceaccount.com', 'orders-api@shop-prod.iam'],
    ['ada@example.com', 'ada@example.com'],
  ])('%s logs in as %s', (email, user) => {
    expect(cloudSqlIamUser(email)).toBe(user);
  });
});

describe('Google access tokens from google-auth-library through the Cloud SQL IAM front', () => {
  it('logs in over verified TLS with a service-account token, the front checking token, scope, expiry and user', async () => {
    const log = captureNestLog();
    try {
      const db = await DbService.create(
        tokenFrontDbOptions(gcp, {
          name: 'gsql-basic',
          cloudSqlIamAuth: { enabled: true, auth: googleAuthFor(gcp, gcp.key) },
        }),
      );
      const { rows } = await db.query<{ user: string }>('SELECT current_user AS user');
      const stats = db.stats();
      await db.onApplicationShutdown();
      // The front requires TLS (requireTls): the login itself is the proof of it.
      expect(rows[0]).toEqual({ user: gcp.role.username });
      expect(gcp.front.accepted).toBe(1);
      expect(gcp.front.rejected).toBe(0);
      expect(gcp.google.refusals).toEqual([]);
      expect(stats.credentials).toMatchObject({ source: 'cloud-sql-iam', username: gcp.role.username });
      const expiresIn = new Date(stats.credentials.expiresAt!).getTime() - Date.now();
      expect(expiresIn).toBeGreaterThan(30_000);
      expect(expiresIn).toBeLessThanOrEqual(61_000);
      const lines = log.of('nestjs-rotating-pg:gsql-basic').map((line) => line.message);
      expect(lines).toContainEqual(
        expect.stringMatching(
          /^new credentials from cloud-sql-iam \(version Google access token valid until [0-9T:.Z-]+\)/,
        ),
      );
      for (const token of gcp.front.tokens) expect(lines.join('\n')).not.toContain(token);
    } finally {
      log.restore();
    }
  }, 30_000);

  it('with no user anywhere, logs in as the service account (its email without .gserviceaccount.com)', async () => {
    const { user: _user, ...withoutUser } = tokenFrontDbOptions(gcp);
    const db = await DbService.create({
      ...withoutUser,
      cloudSqlIamAuth: { enabled: true, auth: googleAuthFor(gcp, gcp.key) },
    });
    const { rows } = await db.query<{ user: string }>('SELECT current_user AS user');
    await db.onApplicationShutdown();
    expect(rows[0]!.user).toBe(gcp.role.username);
  }, 30_000);

  it("another service account's token: the front refuses it (28P01) and the error names the login, not the token", async () => {
    const stranger = gcp.google.addServiceAccount('someone-else');
    const db = await DbService.create(
      tokenFrontDbOptions(gcp, {
        cloudSqlIamAuth: { enabled: true, auth: googleAuthFor(gcp, stranger) },
        connectionTimeout: '2s',
      }),
    );
    const error = await db.query('SELECT 1').catch((caught: Error) => caught);
    await db.onApplicationShutdown();
    expect(error).toMatchObject({ name: 'DatabaseAuthError', code: '28P01' });
    expect((error as Error).message).toMatch(
      `Cloud SQL IAM service account authentication failed for user "${gcp.role.username}"`,
    );
    expect((error as { hint?: string }).hint).toMatch(/Cloud SQL IAM.*gserviceaccount/);
    expect(new Set(gcp.front.rejections)).toEqual(new Set(['token of another principal']));
    for (const token of gcp.front.tokens) expect(inspect(error, { depth: 10 })).not.toContain(token);
  }, 30_000);

  it('a deleted key: the start fails typed (invalid_grant), naming the source, without the key', async () => {
    const deleted = gcp.google.addServiceAccount('gone');
    gcp.google.deleteKey(deleted.private_key_id);
    const error = await DbService.create(
      tokenFrontDbOptions(gcp, { cloudSqlIamAuth: { enabled: true, auth: googleAuthFor(gcp, deleted) } }),
    ).catch((caught: Error) => caught);
    expect(error).toMatchObject({ name: 'CredentialSourceError' });
    expect((error as Error).message).toMatch(/the first fetch from cloud-sql-iam failed .*invalid_grant/);
    const shown = inspect(error, { showHidden: true, depth: 10 }) + JSON.stringify(error);
    expect(shown).not.toContain(deleted.private_key.split('\n')[1]!);
    expect(gcp.google.refusals).toEqual(['unknown account']);
    expect(gcp.front.accepted + gcp.front.rejected).toBe(0);
  }, 30_000);

  it('a token without the sqlservice.login scope is refused by the front', async () => {
    const auth = googleAuthFor(gcp, gcp.key, ['https://www.googleapis.com/auth/devstorage.read_only']);
    const provider = new CloudSqlIamCredentialProvider({ auth, username: gcp.role.username });
    const db = await DbService.create(
      tokenFrontDbOptions(gcp, { credentialProvider: provider, connectionTimeout: '2s' }),
    );
    const error = await db.query('SELECT 1').catch((caught: Error) => caught);
    await db.onApplicationShutdown();
    expect(error).toMatchObject({ name: 'DatabaseAuthError', code: '28P01' });
    expect(new Set(gcp.front.rejections)).toEqual(new Set(['scope lacks sqlservice.login']));
  }, 30_000);

  it('refuses a plaintext connection unless allowPlaintext, and unverified TLS unless allowUnverifiedTls', async () => {
    const auth = googleAuthFor(gcp, gcp.key);
    await expect(
      DbService.create(tokenFrontDbOptions(gcp, { ssl: undefined, cloudSqlIamAuth: { enabled: true, auth } })),
    ).rejects.toThrow(/cloudSqlIamAuth: Cloud SQL IAM logins need TLS/);
    await expect(
      DbService.create(
        tokenFrontDbOptions(gcp, { ssl: { rejectUnauthorized: false }, cloudSqlIamAuth: { enabled: true, auth } }),
      ),
    ).rejects.toThrow(/cloudSqlIamAuth: TLS without verifying the server .*cloudSqlIamAuth\.allowUnverifiedTls: true/);
  });

  it('doctor: obtains a token, connects, and shows neither the token nor the key', async () => {
    const report = await runDoctor(
      tokenFrontDbOptions(gcp, {
        connectionMaxLifetime: '14m',
        cloudSqlIamAuth: { enabled: true, auth: googleAuthFor(gcp, gcp.key) },
      }),
    );
    const text = renderDoctorReport(report, 'options');
    expect(report.checks.find((row) => row.check === 'credentials')).toMatchObject({
      verdict: 'pass',
      detail: expect.stringMatching(
        new RegExp(
          `^obtained a Google OAuth 2.0 access token \\(scope sqlservice\\.login\\) for the Cloud SQL IAM user ${gcp.role.username.replace(/[.]/g, '\\.')}, reused until `,
        ),
      ),
    });
    expect(report.checks.find((row) => row.check === 'connect')).toMatchObject({ verdict: 'pass' });
    expect(report.ok).toBe(true);
    for (const token of gcp.front.tokens) expect(text + JSON.stringify(report)).not.toContain(token);
  }, 30_000);

  it('without google-auth-library installed, the source fails with the install command', async () => {
    const missing = Object.assign(new Error("Cannot find package 'google-auth-library' imported from x"), {
      code: 'ERR_MODULE_NOT_FOUND',
    });
    await expect(importGoogleAuth(() => Promise.reject(missing))).rejects.toThrow(
      'cloudSqlIamAuth needs the google-auth-library package, an optional peer of nestjs-rotating-pg: npm install google-auth-library',
    );
  });
});

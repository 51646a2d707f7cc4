import { inspect } from 'node:util';
import { runDoctor } from '../../../src/cli/index.js';
import { CredentialSourceError } from '../../../src/index.js';
import { startTestPostgres, type TestPostgres, VaultEmulator, writeVaultKvSecret } from '../../../src/testing/index.js';
import { createTestRole, type TestRole } from '../../support/roles.js';
import { kvSecret, vaultDb } from './vault-fixture.js';

let server: TestPostgres;
let role: TestRole;
let vault: VaultEmulator;

beforeAll(async () => {
  server = await startTestPostgres();
  role = await createTestRole(server, 'kvapp');
});
beforeEach(async () => {
  vault = await new VaultEmulator(server).start();
  vault.enableKv();
});
afterEach(() => vault.stop());
afterAll(() => server.stop());

/** A DbService reading `vault.kv` = `kv`, connecting to the test role's own database. */
const kvDb = (kv: object, options: object = {}) =>
  vaultDb(server, vault, { kv: { path: 'db/app', ...kv } }, { dsn: role.bareDsn, ...options });

const startupError = (kv: object, options: object = {}) =>
  kvDb(kv, options).then(
    async (db) => {
      await db.onApplicationShutdown();
      return new Error('started');
    },
    (error: unknown) => error as Error,
  );

describe('Vault KV v2 secret', () => {
  it("logs in as the secret's user; stats show the metadata version, never the password or token", async () => {
    await writeVaultKvSecret(kvSecret(vault), { username: 'someone-else', password: 'not-this-one-1' });
    await writeVaultKvSecret(kvSecret(vault), { username: role.username, password: role.password, note: 'x' });
    const db = await kvDb({});
    try {
      const { rows } = await db.query<{ who: string }>('SELECT current_user AS who');
      expect(rows).toEqual([{ who: role.username }]);
      expect(db.stats().credentials).toMatchObject({
        source: 'vault',
        username: role.username,
        version: 'kv version 2',
      });
      const shown = JSON.stringify(db.stats()) + inspect(db, { showHidden: true, depth: 8 });
      for (const secret of [role.password, vault.rootToken]) expect(shown).not.toContain(secret);
      expect(vault.calls['kv-read']).toBe(1);
    } finally {
      await db.onApplicationShutdown();
    }
  });

  it('reads its own mount and key names; a secret with only a password logs in as the dsn user', async () => {
    vault.enableKv('kv-team');
    await writeVaultKvSecret(kvSecret(vault, 'pg/app', 'kv-team'), { login: role.username, pass: role.password });
    const named = await kvDb({ mount: 'kv-team', path: 'pg/app', usernameKey: 'login', passwordKey: 'pass' });
    await named.query('SELECT 1');
    await named.onApplicationShutdown();

    await writeVaultKvSecret(kvSecret(vault, 'pg/password-only'), { password: role.password });
    const passwordOnly = await kvDb({ path: 'pg/password-only' });
    const { rows } = await passwordOnly.query<{ who: string }>('SELECT current_user AS who');
    await passwordOnly.onApplicationShutdown();
    expect(rows).toEqual([{ who: role.username }]);
    expect(vault.calls['kv-read']).toBe(2);
  });

  it('a secret without the keys: startup fails naming the path, version and keys, never the values', async () => {
    await writeVaultKvSecret(kvSecret(vault), { user: 'kv-value-user-1', pw: 'kv-value-password-1' });
    const error = await startupError({}, { dsn: `postgresql://${server.host}:${server.port}/postgres` });
    expect(error).toBeInstanceOf(CredentialSourceError);
    expect(error.message).toMatch(
      /Vault KV secret secret\/data\/db\/app \(kv version 1\) has no string "username" and "password" key; .*vault\.kv\.usernameKey/,
    );
    const shown = `${error.message}${error.stack}${inspect(error, { showHidden: true, depth: 8 })}`;
    for (const value of ['kv-value-user-1', 'kv-value-password-1', vault.rootToken]) expect(shown).not.toContain(value);
  });

  it('no secret at the path: startup fails naming the path read and how to write one', async () => {
    const error = await startupError({ path: 'db/missing' });
    expect(error).toBeInstanceOf(CredentialSourceError);
    expect(error.message).toMatch(
      /Vault KV read failed: no secret at secret\/data\/db\/missing \(HTTP 404\); write one with `vault kv put -mount=secret db\/missing/,
    );
    expect(error).toMatchObject({ code: 'VaultSecretNotFound', httpStatus: 404 });
  });
});

describe("the emulator's KV v2 API", () => {
  it('versions each write, reads ?version=N, refuses a stale cas and a missing path as Vault does', async () => {
    const secret = kvSecret(vault, 'api/check');
    expect(await writeVaultKvSecret(secret, { a: '1' }, 0)).toBe(1);
    expect(await writeVaultKvSecret(secret, { a: '2' })).toBe(2);
    await expect(writeVaultKvSecret(secret, { a: '3' }, 1)).rejects.toThrow(
      /HTTP 400: check-and-set parameter did not match the current version/,
    );
    const read = async (query: string, token = vault.rootToken) => {
      const response = await fetch(`${vault.address}/v1/secret/data/api/check${query}`, {
        headers: { 'X-Vault-Token': token },
      });
      return {
        status: response.status,
        body: (await response.json()) as { data?: { data?: unknown }; errors?: string[] },
      };
    };
    expect(await read('')).toMatchObject({
      status: 200,
      body: { data: { data: { a: '2' }, metadata: { version: 2, destroyed: false } } },
    });
    expect((await read('?version=1')).body.data?.data).toEqual({ a: '1' });
    expect(await read('?version=7')).toEqual({ status: 404, body: { errors: [] } });
    expect(await read('', 'hvs.unknown-token')).toEqual({ status: 403, body: { errors: ['permission denied'] } });
    vault.seal();
    expect(await read('')).toEqual({ status: 503, body: { errors: ['Vault is sealed'] } });
  });
});

describe('doctor', () => {
  it('describes the KV secret (address, path, version, user), never the password or token', async () => {
    await writeVaultKvSecret(kvSecret(vault), { username: role.username, password: role.password });
    const report = await runDoctor({
      dsn: role.bareDsn,
      vault: { address: vault.address, token: vault.rootToken, kv: { path: 'db/app' } },
    });
    expect(report.checks.find((row) => row.check === 'credentials')).toMatchObject({
      verdict: 'pass',
      detail: `read user ${role.username} from Vault ${vault.address} KV v2 secret secret/data/db/app (kv version 1)`,
    });
    expect(report.checks.find((row) => row.check === 'connect')).toMatchObject({ verdict: 'pass' });
    for (const secret of [role.password, vault.rootToken]) expect(JSON.stringify(report)).not.toContain(secret);
  });

  it('names what to check when the KV read is refused', async () => {
    const report = await runDoctor({
      dsn: role.bareDsn,
      vault: { address: vault.address, token: 'hvs.wrong-token-for-kv-doctor', kv: { path: 'db/app' } },
    });
    expect(report.checks.find((row) => row.check === 'credentials')).toMatchObject({
      verdict: 'fail',
      detail: expect.stringMatching(/Vault token lookup failed: HTTP 403: permission denied/),
      fix: expect.stringMatching(/read on <kv mount>\/data\/<path>/),
    });
    expect(JSON.stringify(report)).not.toContain('hvs.wrong-token-for-kv-doctor');
  });
});

import pg from 'pg';
import { startTestPostgres, type TestPostgres, VaultEmulator } from '../../../src/testing/index.js';
import { eventually } from '../../support/load.js';
import { GRANT, vaultRolesLeft } from './vault-fixture.js';

let server: TestPostgres;
let vault: VaultEmulator;

beforeAll(async () => {
  server = await startTestPostgres();
});
beforeEach(async () => {
  vault = await new VaultEmulator(server).start();
  vault.addRole('app', { defaultTtlMs: 60_000, maxTtlMs: 120_000, grantStatements: [GRANT] });
});
afterEach(() => vault.stop());
afterAll(() => server.stop());

async function call(method: string, path: string, token?: string, body?: unknown) {
  const response = await fetch(`${vault.address}/v1/${path}`, {
    method,
    headers: token ? { 'X-Vault-Token': token } : {},
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Vault's JSON answers, probed field by field
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, any>) : undefined };
}

async function login(username: string, password: string): Promise<pg.Client> {
  const client = new pg.Client({
    host: server.host,
    port: server.port,
    database: 'postgres',
    user: username,
    password,
  });
  await client.connect();
  return client;
}

describe('the Vault emulator, as Vault documents its HTTP API', () => {
  it('creds: a new PostgreSQL login role per lease, VALID UNTIL the lease end, with the role grants; renew moves VALID UNTIL, never past the max TTL', async () => {
    vault.addRole('short', { defaultTtlMs: 4_000, maxTtlMs: 6_000 });
    const read = await call('GET', 'database/creds/short', vault.rootToken);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({
      lease_id: expect.stringMatching(/^database\/creds\/short\//),
      lease_duration: 4,
      renewable: true,
    });
    const { username, password } = read.body!.data as { username: string; password: string };
    expect(username).toMatch(/^v-root-short-/);
    const validUntil = async () =>
      (await server.admin(`SELECT rolvaliduntil FROM pg_roles WHERE rolname = $1`, [username])).rows[0]
        ?.rolvaliduntil as Date;
    const first = await validUntil();
    const client = await login(username, password);
    await client.end();

    const renewed = await call('PUT', 'sys/leases/renew', vault.rootToken, {
      lease_id: read.body!.lease_id,
      increment: 4,
    });
    expect(renewed.body).toMatchObject({ lease_duration: 4 });
    expect((await validUntil()).getTime()).toBeGreaterThan(first.getTime());
    // 6 s max TTL: a second renewal, asked for 100 s, is capped.
    const capped = await call('PUT', 'sys/leases/renew', vault.rootToken, {
      lease_id: read.body!.lease_id,
      increment: 100,
    });
    expect(capped.body!.lease_duration).toBeLessThanOrEqual(6);
    expect(capped.body!.warnings).toEqual([expect.stringMatching(/max_ttl/)]);
  });

  it('revoke drops the role, as Vault default revocation does, leaving open sessions running; new logins fail', async () => {
    const read = await call('GET', 'database/creds/app', vault.rootToken);
    const { username, password } = read.body!.data as { username: string; password: string };
    const open = await login(username, password);
    expect((await call('PUT', 'sys/leases/revoke', vault.rootToken, { lease_id: read.body!.lease_id })).status).toBe(
      204,
    );
    expect(await vaultRolesLeft(server)).not.toContain(username);
    // Revoking does not end the session: that is why the pool must close them before the lease ends.
    expect((await open.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    await open.end();
    await expect(login(username, password)).rejects.toMatchObject({ code: '28P01' });
  });

  it('a lease expires on its own: the role is dropped at its end', async () => {
    vault.addRole('brief', { defaultTtlMs: 1_000, maxTtlMs: 1_000 });
    const read = await call('GET', 'database/creds/brief', vault.rootToken);
    const { username } = read.body!.data as { username: string };
    await eventually('the expired lease revoked', () => vault.leases.at(-1)?.revokedBy === 'expiry', 5_000);
    expect(await vaultRolesLeft(server)).not.toContain(username);
  });

  it('tokens: 403 {"errors":["permission denied"]} without one or with an expired one; renew-self up to the max TTL; a token ending revokes its leases', async () => {
    expect(await call('GET', 'database/creds/app')).toEqual({ status: 403, body: { errors: ['permission denied'] } });
    const token = vault.createToken({ ttlMs: 2_000, maxTtlMs: 3_000 });
    expect((await call('GET', 'auth/token/lookup-self', token)).body!.data).toMatchObject({ ttl: 2, renewable: true });
    const renewed = await call('POST', 'auth/token/renew-self', token, { increment: 10 });
    expect(renewed.body!.auth.lease_duration).toBeLessThanOrEqual(3);
    const read = await call('GET', 'database/creds/app', token);
    const { username } = read.body!.data as { username: string };
    await eventually('the token to end', () => vault.leases.at(-1)?.revokedBy === 'token', 6_000);
    expect(await vaultRolesLeft(server)).not.toContain(username);
    expect((await call('GET', 'database/creds/app', token)).status).toBe(403);
  });

  it('AppRole and Kubernetes login give tokens; a wrong secret_id or JWT is refused', async () => {
    vault.addAppRole('app', { roleId: 'role-1', secretId: 'secret-1' }, { ttlMs: 60_000 });
    vault.addKubernetesRole('app', 'jwt-1', { ttlMs: 60_000 });
    const appRole = await call('POST', 'auth/approle/login', undefined, { role_id: 'role-1', secret_id: 'secret-1' });
    expect(appRole.body!.auth).toMatchObject({ client_token: expect.any(String), lease_duration: 60, renewable: true });
    expect((await call('GET', 'database/creds/app', appRole.body!.auth.client_token)).status).toBe(200);
    expect(await call('POST', 'auth/approle/login', undefined, { role_id: 'role-1', secret_id: 'nope' })).toEqual({
      status: 400,
      body: { errors: ['invalid role or secret ID'] },
    });
    const kubernetes = await call('POST', 'auth/kubernetes/login', undefined, { role: 'app', jwt: 'jwt-1' });
    expect(kubernetes.body!.auth.client_token).toEqual(expect.any(String));
    expect((await call('POST', 'auth/kubernetes/login', undefined, { role: 'app', jwt: 'jwt-2' })).status).toBe(403);
  });

  it('sealed: every call 503 {"errors":["Vault is sealed"]} until unsealed; an unknown role is 400', async () => {
    vault.seal();
    expect(await call('GET', 'database/creds/app', vault.rootToken)).toEqual({
      status: 503,
      body: { errors: ['Vault is sealed'] },
    });
    vault.unseal();
    expect((await call('GET', 'database/creds/app', vault.rootToken)).status).toBe(200);
    expect(await call('GET', 'database/creds/nope', vault.rootToken)).toEqual({
      status: 400,
      body: { errors: ['unknown role: nope'] },
    });
  });

  it('static roles: the same user, a password rotated every period, ttl the seconds to the next rotation', async () => {
    const username = `static_${Date.now()}`;
    await server.admin(`CREATE ROLE ${username} LOGIN`);
    await vault.addStaticRole('static', { username, rotationPeriodMs: 60_000 });
    const first = await call('GET', 'database/static-creds/static', vault.rootToken);
    expect(first.body!.data).toMatchObject({ username, rotation_period: 60, ttl: expect.any(Number) });
    expect(first.body!.data.ttl).toBeGreaterThan(50);
    await (await login(username, first.body!.data.password)).end();
    await vault.rotateStaticRole('static');
    const second = await call('GET', 'database/static-creds/static', vault.rootToken);
    expect(second.body!.data.password).not.toBe(first.body!.data.password);
    await expect(login(username, first.body!.data.password)).rejects.toMatchObject({ code: '28P01' });
    await (await login(username, second.body!.data.password)).end();
  });
});

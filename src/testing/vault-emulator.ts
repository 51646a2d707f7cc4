import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { VaultKvRefusal, VaultKvStore } from './vault-kv-store.js';

/** What the emulator needs of PostgreSQL: SQL as a superuser (`TestPostgres` has it). */
export interface VaultEmulatorDatabase {
  admin(sql: string, params?: unknown[]): Promise<unknown>;
}

/** A dynamic role of the database secrets engine (`<mount>/roles/<name>`). */
export interface VaultDynamicRole {
  /** Lease TTL of new credentials, and the most a renewal extends them by, in ms. */
  defaultTtlMs: number;
  /** No lease lives past its issue time plus this, however renewed, in ms. */
  maxTtlMs: number;
  /**
   * Run after the role is created, with `{{name}}` replaced by the new username: the grants, e.g.
   * `GRANT app_owner TO "{{name}}"`. The `CREATE ROLE … LOGIN PASSWORD … VALID UNTIL` itself always runs.
   */
  grantStatements?: string[];
}

/** A static role: one existing database user whose password the emulator rotates every `rotationPeriodMs`. */
export interface VaultStaticRole {
  username: string;
  rotationPeriodMs: number;
}

/** A token the emulator accepts, as login or `createToken` gives it. */
export interface VaultTokenSettings {
  /** 0: never expires (a root token). */
  ttlMs: number;
  /** Renewals never take it past its creation plus this, in ms. Default: 10 × ttlMs. */
  maxTtlMs?: number;
  renewable?: boolean;
  /** Shown in the usernames of the credentials it reads (`v-<display name>-<role>-…`). */
  displayName?: string;
}

/** A lease the emulator issued, for tests to inspect. Holds no password. */
export interface VaultLeaseRecord {
  leaseId: string;
  mount: string;
  role: string;
  username: string;
  issuedAt: number;
  expiresAt: number;
  maxExpiresAt: number;
  renewals: number;
  /** Set once revoked (the role dropped): by a revoke call, by expiry, or with the token that read it. */
  revokedAt?: number;
  revokedBy?: 'request' | 'expiry' | 'token';
}

interface StoredToken extends Required<VaultTokenSettings> {
  token: string;
  accessor: string;
  createdAt: number;
  /** 0 when it never expires. */
  expiresAt: number;
  revoked: boolean;
}

interface StoredStaticRole extends VaultStaticRole {
  password: string;
  lastRotation: number;
  timer?: NodeJS.Timeout;
}

class VaultError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const PERMISSION_DENIED = 'permission denied';

/**
 * A local HashiCorp Vault / OpenBao speaking the documented HTTP API for what a PostgreSQL client
 * needs, backed by a real PostgreSQL: the database secrets engine (`GET /v1/<mount>/creds/<role>`
 * creates a role `CREATE ROLE … LOGIN PASSWORD … VALID UNTIL <lease end>`; `static-creds`),
 * `sys/leases/renew` (moves `VALID UNTIL`, never past the max TTL) and `sys/leases/revoke` (drops
 * the role as Vault's default revocation does: `REASSIGN OWNED`, `DROP OWNED`, `DROP ROLE`, open
 * sessions left running), token TTLs with `auth/token/renew-self` and `lookup-self` (an expired
 * token takes its leases with it), AppRole and Kubernetes login, `X-Vault-Token` checks,
 * `{"errors": [...]}` bodies, KV v2 secrets engines (`enableKv`, `GET`/`POST <mount>/data/<path>`,
 * see VaultKvStore), and `seal()` (every call answers 503). Leases expire on their own and
 * are revoked then, as Vault does. TTLs are in ms so tests can use seconds; the API speaks seconds.
 */
export class VaultEmulator {
  /** Calls per operation: `creds`, `static-creds`, `renew`, `revoke`, `login`, `renew-self`, `lookup-self`… */
  readonly calls: Record<string, number> = {};
  /** Every lease issued, oldest first. */
  readonly leases: VaultLeaseRecord[] = [];
  /** Every token and password it has handed out, oldest first: for tests that sweep output for secrets. */
  readonly issuedSecrets: string[] = [];
  /** The `X-Vault-Namespace` of every call that sent one. */
  readonly namespaces = new Set<string>();
  /** Delay before every answer, in ms. */
  latencyMs = 0;
  /** A token that never expires, like the root token of a dev server. */
  readonly rootToken = `hvs.${randomBytes(18).toString('base64url')}`;
  private sealed = false;
  private readonly tokens = new Map<string, StoredToken>();
  private readonly dynamicRoles = new Map<string, VaultDynamicRole>();
  private readonly staticRoles = new Map<string, StoredStaticRole>();
  private readonly appRoles = new Map<string, { roleId: string; secretId: string; token: VaultTokenSettings }>();
  private readonly kubernetesRoles = new Map<string, { jwt: string; token: VaultTokenSettings }>();
  private readonly leaseTimers = new Map<string, NodeJS.Timeout>();
  private readonly tokenTimers = new Map<string, NodeJS.Timeout>();
  private readonly tokenOfLease = new Map<string, string>();
  /** Leases whose revocation has begun; `revokedAt` is set once their role is gone. */
  private readonly revoking = new Set<string>();
  private readonly pending = new Set<Promise<unknown>>();
  private readonly kvMounts = new Map<string, VaultKvStore>();
  private server?: Server;
  private url?: string;

  constructor(
    private readonly database: VaultEmulatorDatabase,
    /** Where the secrets engine is mounted. Default `'database'`, as `vault secrets enable database` does. */
    readonly mount = 'database',
  ) {
    this.storeToken(this.rootToken, { ttlMs: 0, renewable: false, displayName: 'root' });
  }

  /** Starts listening on a free port of 127.0.0.1. */
  async start(): Promise<this> {
    this.server = createServer((request, response) => void this.handle(request, response));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    this.url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    return this;
  }

  /** `http://127.0.0.1:<port>`, what `VAULT_ADDR` would hold. */
  get address(): string {
    if (!this.url) throw new Error('VaultEmulator: call start() first');
    return this.url;
  }

  /** Every call so far. */
  get totalCalls(): number {
    return Object.values(this.calls).reduce((sum, count) => sum + count, 0);
  }

  /** Stops listening and every timer. Roles of live leases stay in the database (see `revokeAll`). */
  async stop(): Promise<void> {
    for (const timer of this.leaseTimers.values()) clearTimeout(timer);
    this.leaseTimers.clear();
    for (const timer of this.tokenTimers.values()) clearTimeout(timer);
    this.tokenTimers.clear();
    for (const role of this.staticRoles.values()) clearTimeout(role.timer);
    await Promise.allSettled([...this.pending]);
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Every call answers 503 "Vault is sealed" until `unseal()`. */
  seal(): void {
    this.sealed = true;
  }

  unseal(): void {
    this.sealed = false;
  }

  /**
   * Mounts a KV v2 secrets engine at `mount`, as `vault secrets enable -path=<mount> kv-v2` does (a dev
   * server has one at `secret`). Secrets are written through the HTTP API (`POST <mount>/data/<path>`).
   */
  enableKv(mount = 'secret'): void {
    if (!this.kvMounts.has(mount)) this.kvMounts.set(mount, new VaultKvStore());
  }

  /** Configures a dynamic role under the mount. */
  addRole(name: string, role: VaultDynamicRole): void {
    this.dynamicRoles.set(name, role);
  }

  /** Configures a static role and sets its first password in the database now. */
  async addStaticRole(name: string, role: VaultStaticRole): Promise<void> {
    const stored: StoredStaticRole = { ...role, password: '', lastRotation: 0 };
    this.staticRoles.set(name, stored);
    await this.rotateStatic(stored);
  }

  /** Rotates a static role's password now (as `POST <mount>/rotate-role/<name>` does). */
  async rotateStaticRole(name: string): Promise<void> {
    const role = this.staticRoles.get(name);
    if (!role) throw new Error(`VaultEmulator: no static role ${name}`);
    await this.rotateStatic(role);
  }

  /** A new token with these settings, as `vault token create` gives one. */
  createToken(settings: VaultTokenSettings): string {
    const token = `hvs.${randomBytes(18).toString('base64url')}`;
    this.storeToken(token, settings);
    return token;
  }

  /** Enables an AppRole role: logging in with this role_id and secret_id gives a token with these settings. */
  addAppRole(name: string, credentials: { roleId: string; secretId: string }, token: VaultTokenSettings): void {
    this.appRoles.set(name, { ...credentials, token: { displayName: `approle`, ...token } });
  }

  /** Enables a Kubernetes auth role: logging in with this role and JWT gives a token with these settings. */
  addKubernetesRole(name: string, jwt: string, token: VaultTokenSettings): void {
    this.kubernetesRoles.set(name, { jwt, token: { displayName: `kubernetes-${name}`, ...token } });
  }

  /** Revokes a lease now, as an operator's `vault lease revoke` does: its role is dropped. */
  async revokeLease(leaseId: string): Promise<void> {
    const lease = this.leases.find((candidate) => candidate.leaseId === leaseId);
    if (lease) await this.revoke(lease, 'request');
  }

  /** Revokes a token now (its leases with it), as an operator's `vault token revoke` does. */
  async revokeToken(token: string): Promise<void> {
    const stored = this.tokens.get(token);
    if (stored) await this.expireToken(stored);
  }

  /** The leases not revoked yet. */
  liveLeases(): VaultLeaseRecord[] {
    return this.leases.filter((lease) => lease.revokedAt === undefined);
  }

  private storeToken(token: string, settings: VaultTokenSettings): StoredToken {
    const now = Date.now();
    const stored: StoredToken = {
      token,
      accessor: randomBytes(12).toString('base64url'),
      ttlMs: settings.ttlMs,
      maxTtlMs: settings.maxTtlMs ?? settings.ttlMs * 10,
      renewable: settings.renewable ?? true,
      displayName: settings.displayName ?? 'token',
      createdAt: now,
      expiresAt: settings.ttlMs > 0 ? now + settings.ttlMs : 0,
      revoked: false,
    };
    this.tokens.set(token, stored);
    this.issuedSecrets.push(token);
    this.armTokenExpiry(stored);
    return stored;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    if (this.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
    const work = this.route(request, Buffer.concat(chunks).toString('utf8'));
    this.pending.add(work);
    try {
      const { status, body } = await work;
      send(response, status, body);
    } catch (error) {
      const status = error instanceof VaultError ? error.status : 500;
      const message = error instanceof Error ? error.message : String(error);
      // Vault answers a missing KV secret with 404 and an empty list.
      send(response, status, { errors: message === '' ? [] : [message] });
    } finally {
      this.pending.delete(work);
    }
  }

  private async route(request: IncomingMessage, text: string): Promise<{ status: number; body?: unknown }> {
    const url = new URL(request.url ?? '/', 'http://vault');
    const path = url.pathname.replace(/^\/v1\//, '');
    const method = request.method ?? 'GET';
    const write = method === 'POST' || method === 'PUT';
    const body = parseBody(text);
    const namespace = request.headers['x-vault-namespace'];
    if (typeof namespace === 'string') this.namespaces.add(namespace);
    if (path === 'sys/health') {
      this.count('health');
      return { status: this.sealed ? 503 : 200, body: { initialized: true, sealed: this.sealed, standby: false } };
    }
    if (this.sealed) {
      this.count('sealed');
      throw new VaultError(503, 'Vault is sealed');
    }
    if (write && path === 'auth/approle/login') return this.appRoleLogin(body);
    if (write && path === 'auth/kubernetes/login') return this.kubernetesLogin(body);

    const token = this.authenticate(request.headers['x-vault-token']);
    if (write && path === 'auth/token/renew-self') return this.renewSelf(token, body);
    if (method === 'GET' && path === 'auth/token/lookup-self') return this.lookupSelf(token);
    if (write && path === 'auth/token/revoke-self') {
      this.count('revoke-self');
      await this.expireToken(token);
      return { status: 204 };
    }
    if (write && path === 'sys/leases/renew') return this.renewLease(body);
    if (write && path === 'sys/leases/revoke') return this.revokeRequested(body);
    const kv = this.kvRoute(path);
    if (kv && method === 'GET') return this.readKv(kv.store, kv.path, url.searchParams.get('version'));
    if (kv && write) return this.writeKv(kv.store, kv.path, body);
    const engine = new RegExp(`^${this.mount}/(creds|static-creds)/([^/]+)$`).exec(path);
    if (method === 'GET' && engine?.[1] === 'creds') return this.issue(token, decodeURIComponent(engine[2]!));
    if (method === 'GET' && engine?.[1] === 'static-creds') return this.readStatic(decodeURIComponent(engine[2]!));
    this.count('unknown');
    throw new VaultError(404, `no handler for route "${path}". route entry not found.`);
  }

  /** `<mount>/data/<path>` of a KV v2 mount: its store and the secret's path. */
  private kvRoute(path: string): { store: VaultKvStore; path: string } | undefined {
    for (const [mount, store] of this.kvMounts) {
      const prefix = `${mount}/data/`;
      if (path.startsWith(prefix) && path.length > prefix.length)
        return { store, path: decodeURIComponent(path.slice(prefix.length)) };
    }
    return undefined;
  }

  private readKv(store: VaultKvStore, path: string, version: string | null) {
    this.count('kv-read');
    return ok({ data: kvAnswer(() => store.read(path, version === null ? undefined : Number(version))) });
  }

  private writeKv(store: VaultKvStore, path: string, body: Record<string, unknown>) {
    this.count('kv-write');
    const metadata = kvAnswer(() => store.write(path, body));
    // Every value written to KV may be a password, for sweeps to look for, but a user's name: that is shown by design.
    for (const [key, value] of Object.entries(body.data as object))
      if (typeof value === 'string' && value !== '' && !/user|login|name/i.test(key)) this.issuedSecrets.push(value);
    return ok({ data: metadata });
  }

  private count(operation: string): void {
    this.calls[operation] = (this.calls[operation] ?? 0) + 1;
  }

  /** The token of `X-Vault-Token`, or 403 as Vault answers a missing, unknown or expired one. */
  private authenticate(header: string | string[] | undefined): StoredToken {
    const token = typeof header === 'string' ? this.tokens.get(header) : undefined;
    if (!token || token.revoked || (token.expiresAt > 0 && token.expiresAt <= Date.now())) {
      if (token && !token.revoked) void this.expireToken(token);
      throw new VaultError(403, PERMISSION_DENIED);
    }
    return token;
  }

  private appRoleLogin(body: Record<string, unknown>) {
    this.count('login');
    const role = [...this.appRoles.values()].find((candidate) => candidate.roleId === body.role_id);
    if (!role || role.secretId !== body.secret_id) throw new VaultError(400, 'invalid role or secret ID');
    return this.loginAnswer(role.token);
  }

  private kubernetesLogin(body: Record<string, unknown>) {
    this.count('login');
    const role = typeof body.role === 'string' ? this.kubernetesRoles.get(body.role) : undefined;
    if (!role) throw new VaultError(400, `invalid role name "${String(body.role)}"`);
    if (role.jwt !== body.jwt) throw new VaultError(403, PERMISSION_DENIED);
    return this.loginAnswer(role.token);
  }

  private loginAnswer(settings: VaultTokenSettings) {
    const token = this.storeToken(`hvs.${randomBytes(18).toString('base64url')}`, settings);
    return ok({
      auth: {
        client_token: token.token,
        accessor: token.accessor,
        policies: ['default', 'db-creds'],
        token_policies: ['default', 'db-creds'],
        lease_duration: seconds(token.ttlMs),
        renewable: token.renewable,
        metadata: {},
      },
    });
  }

  private renewSelf(token: StoredToken, body: Record<string, unknown>) {
    this.count('renew-self');
    if (!token.renewable || token.expiresAt === 0) throw new VaultError(400, 'lease is not renewable');
    const askedMs = typeof body.increment === 'number' ? body.increment * 1000 : token.ttlMs;
    const now = Date.now();
    token.expiresAt = Math.min(now + askedMs, token.createdAt + token.maxTtlMs);
    this.armTokenExpiry(token);
    return ok({
      auth: {
        client_token: token.token,
        accessor: token.accessor,
        lease_duration: seconds(token.expiresAt - now),
        renewable: token.renewable,
        policies: ['default', 'db-creds'],
      },
      warnings: token.expiresAt < now + askedMs ? ['TTL of the token is capped by its max TTL'] : null,
    });
  }

  private lookupSelf(token: StoredToken) {
    this.count('lookup-self');
    return ok({
      data: {
        accessor: token.accessor,
        display_name: token.displayName,
        ttl: token.expiresAt === 0 ? 0 : seconds(token.expiresAt - Date.now()),
        creation_ttl: seconds(token.ttlMs),
        expire_time: token.expiresAt === 0 ? null : new Date(token.expiresAt).toISOString(),
        renewable: token.renewable && token.expiresAt !== 0,
        policies: ['default', 'db-creds'],
      },
    });
  }

  private async issue(token: StoredToken, roleName: string) {
    this.count('creds');
    const role = this.dynamicRoles.get(roleName);
    if (!role) throw new VaultError(400, `unknown role: ${roleName}`);
    const now = Date.now();
    const username = `v-${token.displayName}-${roleName}-${randomBytes(10).toString('hex')}-${Math.floor(now / 1000)}`
      .slice(0, 63)
      .toLowerCase();
    const password = `A1a-${randomBytes(15).toString('base64url')}`;
    this.issuedSecrets.push(password);
    const expiresAt = Math.min(now + role.defaultTtlMs, now + role.maxTtlMs);
    await this.database.admin(
      `CREATE ROLE "${username}" WITH LOGIN PASSWORD '${password}' VALID UNTIL '${new Date(expiresAt).toISOString()}'`,
    );
    for (const statement of role.grantStatements ?? [])
      await this.database.admin(statement.replaceAll('{{name}}', username));
    const lease: VaultLeaseRecord = {
      leaseId: `${this.mount}/creds/${roleName}/${randomBytes(12).toString('base64url')}`,
      mount: this.mount,
      role: roleName,
      username,
      issuedAt: now,
      expiresAt,
      maxExpiresAt: now + role.maxTtlMs,
      renewals: 0,
    };
    this.leases.push(lease);
    this.tokenOfLease.set(lease.leaseId, token.token);
    this.armLeaseExpiry(lease);
    return ok({
      lease_id: lease.leaseId,
      renewable: true,
      lease_duration: seconds(expiresAt - now),
      data: { username, password },
    });
  }

  private async renewLease(body: Record<string, unknown>) {
    this.count('renew');
    const lease = this.leases.find((candidate) => candidate.leaseId === body.lease_id);
    const now = Date.now();
    if (!lease || this.revoking.has(lease.leaseId) || lease.expiresAt <= now)
      throw new VaultError(400, 'lease not found');
    const role = this.dynamicRoles.get(lease.role);
    const askedMs = typeof body.increment === 'number' ? body.increment * 1000 : (role?.defaultTtlMs ?? 0);
    const expiresAt = Math.min(now + askedMs, lease.maxExpiresAt);
    // Vault's PostgreSQL plugin renews with exactly this statement.
    await this.database.admin(`ALTER ROLE "${lease.username}" VALID UNTIL '${new Date(expiresAt).toISOString()}'`);
    lease.expiresAt = expiresAt;
    lease.renewals++;
    this.armLeaseExpiry(lease);
    const capped = expiresAt < now + askedMs;
    return ok({
      lease_id: lease.leaseId,
      renewable: expiresAt < lease.maxExpiresAt,
      lease_duration: seconds(expiresAt - now),
      data: null,
      warnings: capped ? [`TTL of the lease exceeded its effective max_ttl; TTL value is capped accordingly`] : null,
    });
  }

  private async revokeRequested(body: Record<string, unknown>) {
    this.count('revoke');
    const lease = this.leases.find((candidate) => candidate.leaseId === body.lease_id);
    // Vault answers 204 for a lease it no longer knows, too.
    if (lease) await this.revoke(lease, 'request');
    return { status: 204 };
  }

  private readStatic(roleName: string) {
    this.count('static-creds');
    const role = this.staticRoles.get(roleName);
    if (!role) throw new VaultError(400, `unknown role: ${roleName}`);
    const now = Date.now();
    return ok({
      data: {
        username: role.username,
        password: role.password,
        last_vault_rotation: new Date(role.lastRotation).toISOString(),
        rotation_period: seconds(role.rotationPeriodMs),
        ttl: Math.max(0, Math.floor((role.lastRotation + role.rotationPeriodMs - now) / 1000)),
      },
    });
  }

  private async rotateStatic(role: StoredStaticRole): Promise<void> {
    clearTimeout(role.timer);
    const password = `A1a-${randomBytes(15).toString('base64url')}`;
    this.issuedSecrets.push(password);
    await this.database.admin(`ALTER ROLE "${role.username}" WITH LOGIN PASSWORD '${password}'`);
    role.password = password;
    role.lastRotation = Date.now();
    role.timer = setTimeout(() => {
      const rotation = this.rotateStatic(role).catch(() => undefined);
      this.pending.add(rotation);
      void rotation.finally(() => this.pending.delete(rotation));
    }, role.rotationPeriodMs);
    role.timer.unref();
  }

  private armLeaseExpiry(lease: VaultLeaseRecord): void {
    clearTimeout(this.leaseTimers.get(lease.leaseId));
    const timer = setTimeout(() => this.track(this.revoke(lease, 'expiry')), Math.max(0, lease.expiresAt - Date.now()));
    timer.unref();
    this.leaseTimers.set(lease.leaseId, timer);
  }

  private armTokenExpiry(token: StoredToken): void {
    clearTimeout(this.tokenTimers.get(token.token));
    if (token.expiresAt === 0) return;
    const timer = setTimeout(() => this.track(this.expireToken(token)), Math.max(0, token.expiresAt - Date.now()));
    timer.unref();
    this.tokenTimers.set(token.token, timer);
  }

  private track(work: Promise<unknown>): void {
    const settled = work.catch(() => undefined);
    this.pending.add(settled);
    void settled.finally(() => this.pending.delete(settled));
  }

  /** A token's end revokes every lease it read, as in Vault. */
  private async expireToken(token: StoredToken): Promise<void> {
    if (token.revoked) return;
    token.revoked = true;
    clearTimeout(this.tokenTimers.get(token.token));
    const owned = this.leases.filter(
      (lease) => !this.revoking.has(lease.leaseId) && this.tokenOfLease.get(lease.leaseId) === token.token,
    );
    await Promise.all(owned.map((lease) => this.revoke(lease, 'token')));
  }

  /** Vault's default PostgreSQL revocation: privileges and owned objects go, then the role. Sessions stay open. */
  private async revoke(lease: VaultLeaseRecord, by: NonNullable<VaultLeaseRecord['revokedBy']>): Promise<void> {
    if (this.revoking.has(lease.leaseId)) return;
    this.revoking.add(lease.leaseId);
    clearTimeout(this.leaseTimers.get(lease.leaseId));
    this.leaseTimers.delete(lease.leaseId);
    const name = `"${lease.username}"`;
    await this.database.admin(`REASSIGN OWNED BY ${name} TO CURRENT_USER`).catch(() => undefined);
    await this.database.admin(`DROP OWNED BY ${name}`).catch(() => undefined);
    await this.database.admin(`DROP ROLE IF EXISTS ${name}`);
    lease.revokedAt = Date.now();
    lease.revokedBy = by;
  }
}

/** A KV refusal as Vault answers it: 404 with an empty `errors`, 400 with its text. */
function kvAnswer<T>(work: () => T): T {
  try {
    return work();
  } catch (error) {
    if (error instanceof VaultKvRefusal) throw new VaultError(error.status, error.message);
    throw error;
  }
}

function ok(body: unknown): { status: number; body: unknown } {
  return {
    status: 200,
    body: { request_id: randomUUID(), lease_id: '', renewable: false, lease_duration: 0, ...(body as object) },
  };
}

function seconds(ms: number): number {
  return Math.max(0, Math.round(ms / 1000));
}

function parseBody(text: string): Record<string, unknown> {
  if (text === '') return {};
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function send(response: ServerResponse, status: number, body: unknown): void {
  if (status === 204 || body === undefined) {
    response.writeHead(status);
    response.end();
    return;
  }
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

import type {
  CredentialFetchContext,
  CredentialProvider,
  Credentials,
} from '../../credentials/credential-provider.interface.js';
import { RENEW_SLACK_MS, VAULT_RENEW_AT_SHARE } from './vault.defaults.js';
import { VaultHttp, VaultRefusedError, vaultMalformed as malformed } from './vault-http.js';
import { type VaultAuth, VaultLogin, type VaultToken } from './vault-login.js';

export interface VaultProviderOptions {
  /** `https://vault.example.com:8200`. */
  address: string;
  /** Sent as `X-Vault-Namespace` (Vault Enterprise, OpenBao). */
  namespace?: string;
  /** Where the database secrets engine is mounted. */
  mount: string;
  /** A dynamic role (`<mount>/creds/<role>`), or… */
  role?: string;
  /** …a static role (`<mount>/static-creds/<staticRole>`). */
  staticRole?: string;
  auth: VaultAuth;
  /** Asked for at each lease renewal, in ms. Default: the lease's own duration. */
  leaseIncrementMs?: number;
  /** Revoke the leases still held on `close()`. */
  revokeOnShutdown: boolean;
  requestTimeoutMs: number;
}

interface Lease {
  id: string;
  username: string;
  password: string;
  /** What each renewal asks for, in seconds. */
  incrementSeconds: number;
  renewable: boolean;
  /** The lease's own end, moved by renewals. */
  leaseEndsAt: number;
  /** When Vault last granted it time (issue or renewal): the margin before its end is a share of what is left. */
  grantedAt: number;
  renewAt: number;
  /** The token that read it: its end revokes the lease. */
  token: VaultToken;
  number: number;
}

interface SecretResponse {
  lease_id?: string;
  lease_duration?: number;
  renewable?: boolean;
  data?: Record<string, unknown> | null;
}

/** A static role is read again this long after Vault's `ttl` says it rotates: `ttl` is whole seconds. */
const AFTER_STATIC_ROTATION_MS = 1_000;
/** Revocations at shutdown each get this long: Vault's lease expiry ends them anyway. */
const REVOKE_TIMEOUT_MS = 3_000;
/**
 * Sessions are to be closed this long before the lease ends (a tenth of the lease, at most 30 s): the pool closes a
 * busy connection only when it is released, and the close takes a moment, all before Vault drops the user.
 */
const SESSIONS_END_MARGIN_SHARE = 0.1;
const MAX_SESSIONS_END_MARGIN_MS = 30_000;

/**
 * HashiCorp Vault / OpenBao database credentials. A dynamic role gives a new database user per
 * lease: the lease is renewed (`sys/leases/renew`) once two thirds of it have passed, and when a
 * renewal gives less than it asked (the lease's max TTL is near) or the Vault token that read it is
 * about to end, new credentials are read. `expiresAt` is the end of the lease (or of the token that
 * read it, if earlier), `sessionsEndAt` a tenth of the lease (30 s at most) before it: the pool
 * closes the sessions of that user by then.
 * A static role gives the same user with a password Vault rotates; it is read again after the
 * rotation Vault announces. The Vault token is renewed (`renew-self`), or AppRole / Kubernetes
 * login is done again, before it ends. On `close()` the leases still held are revoked.
 */
export class VaultCredentialProvider implements CredentialProvider {
  readonly name = 'vault';
  // ES private fields: util.inspect and JSON never show the token, secret_id or a password.
  readonly #options: VaultProviderOptions;
  readonly #http: VaultHttp;
  readonly #login: VaultLogin;
  #lease?: Lease;
  /** Leases read and not yet past their end: revoked at shutdown. */
  readonly #held = new Map<string, { endsAt: number }>();
  #leases = 0;
  #staticNextAt?: number;

  constructor(options: VaultProviderOptions) {
    this.#options = options;
    this.#http = new VaultHttp(options);
    this.#login = new VaultLogin(options.auth, this.#http);
  }

  async fetch({ reason, rejected }: CredentialFetchContext): Promise<Credentials> {
    const token = await this.#login.ensure();
    if (this.#options.staticRole !== undefined) return this.readStatic(token);
    const lease = this.#lease;
    const now = Date.now();
    if (
      !lease ||
      reason === 'initial' ||
      reason === 'manual' ||
      lease.token !== token ||
      (reason === 'auth-failure' && rejected?.username === lease.username) ||
      now >= leaseEnd(lease)
    ) {
      return this.issue(token);
    }
    if (reason !== 'scheduled' || now < lease.renewAt - RENEW_SLACK_MS) return credentialsOf(lease);
    if (!lease.renewable) return this.issue(token);
    let renewed: SecretResponse | undefined;
    try {
      renewed = await this.#http.call<SecretResponse>('lease renewal', 'PUT', 'sys/leases/renew', {
        token: token.value,
        body: { lease_id: lease.id, increment: lease.incrementSeconds },
      });
    } catch (error) {
      // Vault no longer knows the lease (revoked, expired): new credentials. An outage is thrown.
      if (error instanceof VaultRefusedError && error.httpStatus !== undefined && error.httpStatus < 500)
        return this.issue(token);
      throw error;
    }
    const duration = renewed?.lease_duration;
    if (typeof duration !== 'number') throw malformed('lease renewal', 'lease_duration');
    const renewedAt = Date.now();
    lease.leaseEndsAt = renewedAt + duration * 1000;
    lease.grantedAt = renewedAt;
    lease.renewable = renewed?.renewable !== false;
    lease.renewAt = renewedAt + duration * 1000 * VAULT_RENEW_AT_SHARE;
    this.#held.set(lease.id, { endsAt: leaseEnd(lease) });
    // Less than asked: the max TTL ends the lease then. New credentials now, while the old ones still serve.
    if (duration < lease.incrementSeconds) return this.issue(token);
    return credentialsOf(lease);
  }

  /** The next renewal of the lease or the Vault token, or the read after a static role's rotation. */
  nextRefreshAt(): Date | undefined {
    const times = [this.#lease?.renewAt, this.#login.current?.renewAt, this.#staticNextAt].filter(
      (time): time is number => time !== undefined,
    );
    return times.length > 0 ? new Date(Math.min(...times)) : undefined;
  }

  /** Revokes the leases still held (unless `revokeOnShutdown` is false). Called after the pool's sessions closed. */
  async close(): Promise<void> {
    const token = this.#login.current;
    const now = Date.now();
    const live = [...this.#held].filter(([, { endsAt }]) => endsAt > now).map(([id]) => id);
    this.#held.clear();
    this.#lease = undefined;
    if (!this.#options.revokeOnShutdown || !token || live.length === 0) return;
    await Promise.allSettled(
      live.map((id) =>
        this.#http.call('lease revocation', 'PUT', 'sys/leases/revoke', {
          token: token.value,
          body: { lease_id: id },
          timeoutMs: REVOKE_TIMEOUT_MS,
        }),
      ),
    );
  }

  private async issue(token: VaultToken): Promise<Credentials> {
    const path = `${this.#options.mount}/creds/${this.#options.role!}`;
    const answer = await this.#http.call<SecretResponse>('credentials read', 'GET', path, { token: token.value });
    const { username, password } = answer?.data ?? {};
    if (typeof username !== 'string' || typeof password !== 'string')
      throw malformed(`read of ${path}`, 'data.username and data.password');
    const duration = answer?.lease_duration;
    if (typeof answer?.lease_id !== 'string' || typeof duration !== 'number')
      throw malformed(`read of ${path}`, 'lease_id and lease_duration');
    const now = Date.now();
    const increment = this.#options.leaseIncrementMs;
    const lease: Lease = {
      id: answer.lease_id,
      username,
      password,
      incrementSeconds: increment !== undefined ? Math.max(1, Math.round(increment / 1000)) : duration,
      renewable: answer.renewable === true,
      leaseEndsAt: now + duration * 1000,
      grantedAt: now,
      renewAt: now + duration * 1000 * VAULT_RENEW_AT_SHARE,
      token,
      number: ++this.#leases,
    };
    this.#lease = lease;
    this.#held.set(lease.id, { endsAt: leaseEnd(lease) });
    for (const [id, { endsAt }] of this.#held) if (endsAt <= now) this.#held.delete(id);
    return credentialsOf(lease);
  }

  private async readStatic(token: VaultToken): Promise<Credentials> {
    const path = `${this.#options.mount}/static-creds/${this.#options.staticRole!}`;
    const answer = await this.#http.call<SecretResponse>('static credentials read', 'GET', path, {
      token: token.value,
    });
    const { username, password, ttl, last_vault_rotation: rotatedAt } = answer?.data ?? {};
    if (typeof username !== 'string' || typeof password !== 'string')
      throw malformed(`read of ${path}`, 'data.username and data.password');
    this.#staticNextAt = typeof ttl === 'number' ? Date.now() + ttl * 1000 + AFTER_STATIC_ROTATION_MS : undefined;
    return { username, password, version: typeof rotatedAt === 'string' ? `rotated ${rotatedAt}` : 'static role' };
  }
}

/** A lease ends at its own end, or with the token that read it. */
function leaseEnd(lease: Lease): number {
  return Math.min(lease.leaseEndsAt, lease.token.expiresAt ?? Number.POSITIVE_INFINITY);
}

function credentialsOf(lease: Lease): Credentials {
  const endsAt = leaseEnd(lease);
  // A share of the time from the last grant to the end (the token's end may come first), so it never lies behind.
  const margin = Math.min(
    MAX_SESSIONS_END_MARGIN_MS,
    Math.max(0, endsAt - lease.grantedAt) * SESSIONS_END_MARGIN_SHARE,
  );
  return {
    username: lease.username,
    password: lease.password,
    expiresAt: new Date(endsAt),
    sessionsEndAt: new Date(endsAt - margin),
    // The lease id's last segment identifies it in Vault's audit log; it grants nothing without a token.
    version: `lease ${lease.number} (…${lease.id.slice(-8)})`,
  };
}

import type { CredentialProvider, Credentials } from '../../credentials/credential-provider.interface.js';
import { CredentialSourceError } from '../../errors/errors.js';
import { vaultMessages as messages } from './messages.js';
import { VaultHttp, VaultRefusedError, vaultMalformed as malformed } from './vault-http.js';
import { type VaultAuth, VaultLogin } from './vault-login.js';

/** Which KV v2 secret to read and how its keys are named: the resolved `vault.kv` options. */
export interface VaultKvSecret {
  /** Where the KV v2 secrets engine is mounted. */
  kvMount: string;
  /** The secret's path under the mount, as `vault kv get -mount=<kvMount> <kvPath>` takes it. */
  kvPath: string;
  usernameKey: string;
  passwordKey: string;
  /** The connection's user: taken when the secret holds only a password. */
  defaultUsername?: string;
  /** Re-read the secret this often without an auth failure, in ms. */
  refreshIntervalMs: number;
}

export interface VaultKvProviderOptions extends VaultKvSecret {
  /** `https://vault.example.com:8200`. */
  address: string;
  /** Sent as `X-Vault-Namespace` (Vault Enterprise, OpenBao). */
  namespace?: string;
  auth: VaultAuth;
  requestTimeoutMs: number;
}

interface KvReadResponse {
  data?: {
    data?: Record<string, unknown> | null;
    metadata?: { version?: unknown; created_time?: unknown } | null;
  } | null;
}

/**
 * Database credentials kept in a Vault / OpenBao KV v2 secret (`GET <mount>/data/<path>`) that
 * something else rotates by writing a new version. The newest version is read at start, on each
 * refresh interval and after a refused login (the shared machinery makes that one read for all
 * callers, with backoff); its metadata version is the credentials' `version`. KV has no pending
 * version: while the database already wants a password the secret does not hold yet, each read
 * gives the refused one again and the backoff paces the reads until the writer catches up.
 */
export class VaultKvCredentialProvider implements CredentialProvider {
  readonly name = 'vault';
  readonly refreshIntervalMs: number;
  // ES private fields: util.inspect and JSON never show the token, the secret_id or a password.
  readonly #options: VaultKvProviderOptions;
  readonly #http: VaultHttp;
  readonly #login: VaultLogin;

  constructor(options: VaultKvProviderOptions) {
    this.#options = options;
    this.refreshIntervalMs = options.refreshIntervalMs;
    this.#http = new VaultHttp(options);
    this.#login = new VaultLogin(options.auth, this.#http);
  }

  /** The `<mount>/data/<path>` the secret is read from. */
  get apiPath(): string {
    return kvApiPath(this.#options.kvMount, this.#options.kvPath);
  }

  async fetch(): Promise<Credentials> {
    const token = await this.#login.ensure();
    const { kvMount, kvPath, usernameKey, passwordKey, defaultUsername } = this.#options;
    const path = this.apiPath;
    let answer: KvReadResponse | undefined;
    try {
      answer = await this.#http.call<KvReadResponse>('KV read', 'GET', path, { token: token.value });
    } catch (error) {
      // 404: no secret there, or its newest version deleted. Say which path was read and how to write one.
      if (error instanceof VaultRefusedError && error.httpStatus === 404)
        throw new CredentialSourceError(messages.kvNotFound(path, kvMount, kvPath), 'vault', {
          code: 'VaultSecretNotFound',
          httpStatus: 404,
        });
      throw error;
    }
    const values = answer?.data?.data;
    const number = answer?.data?.metadata?.version;
    if (!values || typeof values !== 'object' || typeof number !== 'number')
      throw malformed(`KV read of ${path}`, 'data.data and data.metadata.version');
    const version = `kv version ${number}`;
    const username = typeof values[usernameKey] === 'string' ? values[usernameKey] : defaultUsername;
    const password = values[passwordKey];
    // Only the keys' names: their values are the secret.
    const missing = [username === undefined && usernameKey, typeof password !== 'string' && passwordKey].filter(
      (key): key is string => key !== false,
    );
    if (missing.length > 0)
      throw new CredentialSourceError(messages.kvMissingKeys(path, version, missing), 'vault', {
        code: 'VaultSecretMissingKeys',
      });
    return { username: username as string, password: password as string, version };
  }

  /** The Vault token's renewal: it must not end between two reads. */
  nextRefreshAt(): Date | undefined {
    const renewAt = this.#login.current?.renewAt;
    return renewAt === undefined ? undefined : new Date(renewAt);
  }
}

/** KV v2 puts `data/` between the mount and the secret's path. */
export function kvApiPath(mount: string, path: string): string {
  return `${mount}/data/${path}`;
}

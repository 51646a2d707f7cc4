import { readFile } from 'node:fs/promises';
import { CredentialSourceError } from '../../errors/errors.js';
import { vaultMessages as messages } from './messages.js';
import { RENEW_SLACK_MS, VAULT_RENEW_AT_SHARE } from './vault.defaults.js';
import { type VaultHttp, vaultMalformed } from './vault-http.js';

/** How the provider logs in to Vault. */
export type VaultAuth =
  | { method: 'token'; token: string }
  | { method: 'appRole'; roleId: string; secretId: string; mount: string }
  | { method: 'kubernetes'; role: string; tokenPath: string; mount: string };

export interface VaultToken {
  value: string;
  /** ms since the epoch; undefined for a token that never expires. */
  expiresAt?: number;
  renewAt?: number;
  /** Its TTL as given at login (seconds): what a renewal asks for. */
  ttlSeconds: number;
  renewable: boolean;
}

interface AuthResponse {
  auth?: { client_token?: string; lease_duration?: number; renewable?: boolean } | null;
  data?: { ttl?: number; renewable?: boolean } | null;
}

/**
 * The Vault token every Vault source reads with: looked up (a given token) or logged in for (AppRole,
 * Kubernetes), renewed (`renew-self`) once two thirds of its TTL have passed, and logged in for again
 * when a renewal gives less than asked (its max TTL is near) and the method can.
 */
export class VaultLogin {
  // ES private fields: util.inspect and JSON never show the token or the secret_id.
  readonly #auth: VaultAuth;
  readonly #http: VaultHttp;
  #token?: VaultToken;

  constructor(auth: VaultAuth, http: VaultHttp) {
    this.#auth = auth;
    this.#http = http;
  }

  /** The token in use, if any: its `renewAt` schedules the next refresh. */
  get current(): VaultToken | undefined {
    return this.#token;
  }

  /** A Vault token that is not due for renewal: renewed, or logged in again, when it is. */
  async ensure(): Promise<VaultToken> {
    const current = this.#token;
    if (current && (current.renewAt === undefined || Date.now() < current.renewAt - RENEW_SLACK_MS)) return current;
    if (current?.renewable) {
      try {
        const answer = await this.#http.call<AuthResponse>('token renewal', 'POST', 'auth/token/renew-self', {
          token: current.value,
          body: { increment: current.ttlSeconds },
        });
        const duration = answer?.auth?.lease_duration;
        if (typeof duration === 'number') {
          const now = Date.now();
          current.expiresAt = now + duration * 1000;
          current.renewAt = now + duration * 1000 * VAULT_RENEW_AT_SHARE;
          // Given all it asked for: keep it. Less: its max TTL is near, so log in again (when the method can).
          if (duration >= current.ttlSeconds || this.#auth.method === 'token') {
            if (duration < current.ttlSeconds) current.renewAt = undefined;
            return current;
          }
        }
      } catch (error) {
        if (this.#auth.method === 'token') throw error;
      }
    } else if (current && this.#auth.method === 'token') {
      current.renewAt = undefined;
      return current;
    }
    this.#token = await this.login();
    return this.#token;
  }

  private async login(): Promise<VaultToken> {
    const auth = this.#auth;
    if (auth.method === 'token') {
      const answer = await this.#http.call<AuthResponse>('token lookup', 'GET', 'auth/token/lookup-self', {
        token: auth.token,
      });
      const ttl = answer?.data?.ttl;
      return tokenFrom(auth.token, typeof ttl === 'number' ? ttl : 0, answer?.data?.renewable === true);
    }
    const body =
      auth.method === 'appRole'
        ? { role_id: auth.roleId, secret_id: auth.secretId }
        : { role: auth.role, jwt: await readJwt(auth.tokenPath) };
    const answer = await this.#http.call<AuthResponse>(
      auth.method === 'appRole' ? 'AppRole login' : 'Kubernetes login',
      'POST',
      `auth/${auth.mount}/login`,
      { body },
    );
    const issued = answer?.auth;
    if (typeof issued?.client_token !== 'string') throw vaultMalformed(`${auth.method} login`, 'auth.client_token');
    return tokenFrom(issued.client_token, issued.lease_duration ?? 0, issued.renewable === true);
  }
}

function tokenFrom(value: string, ttlSeconds: number, renewable: boolean): VaultToken {
  const now = Date.now();
  // ttl 0: a token that never expires (root, or a periodic token without a TTL).
  if (ttlSeconds <= 0) return { value, ttlSeconds: 0, renewable: false };
  return {
    value,
    ttlSeconds,
    renewable,
    expiresAt: now + ttlSeconds * 1000,
    renewAt: now + ttlSeconds * 1000 * VAULT_RENEW_AT_SHARE,
  };
}

async function readJwt(path: string): Promise<string> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    throw new CredentialSourceError(messages.jwtUnreadable(path, typeof code === 'string' ? code : 'error'), 'vault', {
      code: typeof code === 'string' ? code : undefined,
    });
  }
}

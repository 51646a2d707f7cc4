import type { CredentialProvider, Credentials } from '../../credentials/credential-provider.interface.js';
import { loadDefaultAzureCredential } from './azure-identity.js';
import { entraIdMessages } from './messages.js';

/**
 * What the source needs of a `TokenCredential` of `@azure/identity` (`DefaultAzureCredential`,
 * `ManagedIdentityCredential`, `WorkloadIdentityCredential`, `ClientSecretCredential`…); declared
 * here so that the package's types are not needed where it is not installed.
 */
export interface EntraTokenCredential {
  getToken(scopes: string | string[], options?: object): Promise<{ token: string; expiresOnTimestamp: number } | null>;
}

export interface EntraIdProviderOptions {
  /** The scope tokens are asked for. */
  scope: string;
  /** The database role; default: the one the token's claims name (see `usernameFromEntraToken`). */
  username?: string;
  /** The credential; default: `@azure/identity`'s `DefaultAzureCredential`. */
  credential?: EntraTokenCredential;
  /** For the default credential: the tenant, and the client id of a user-assigned managed identity. */
  tenantId?: string;
  managedIdentityClientId?: string;
  /** The option key named when the token names no user. */
  dbUserKey?: string;
}

/**
 * The database role an Entra ID access token's claims name, as Microsoft's own
 * `azure-postgresql-auth` reads them: a user-assigned managed identity's name (the last segment of
 * `xms_mirid`), else `upn`, `preferred_username`, `unique_name`. Undefined when none is there (a
 * service principal's token names no role: give the role name).
 */
export function usernameFromEntraToken(token: string): string | undefined {
  let claims: Record<string, unknown>;
  try {
    claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >;
  } catch {
    return undefined;
  }
  if (typeof claims !== 'object' || claims === null) return undefined;
  const mirid = claims.xms_mirid;
  if (typeof mirid === 'string') {
    const cut = mirid.lastIndexOf('/');
    const name = mirid.slice(cut + 1);
    if (cut > 0 && name && /providers\/microsoft\.managedidentity\/userassignedidentities$/i.test(mirid.slice(0, cut)))
      return name;
  }
  for (const claim of ['upn', 'preferred_username', 'unique_name']) {
    const value = claims[claim];
    if (typeof value === 'string' && value !== '') return value;
  }
  return undefined;
}

/**
 * Microsoft Entra ID access tokens for Azure Database for PostgreSQL, from a `TokenCredential`.
 * Each fetch asks the credential (which keeps its own cache and renews minutes before expiry);
 * the credential cache reuses the token for new logins until shortly before it expires.
 */
export class EntraIdCredentialProvider implements CredentialProvider {
  readonly name = 'entra-id';
  // ES private fields: util.inspect and JSON never show them (a credential may hold a client secret).
  readonly #options: EntraIdProviderOptions;
  #credential?: Promise<EntraTokenCredential>;

  constructor(options: EntraIdProviderOptions) {
    this.#options = options;
  }

  async fetch(): Promise<Credentials> {
    const credential = await this.#credentialToUse();
    const token = await credential.getToken(this.#options.scope);
    if (!token?.token) throw new Error(entraIdMessages.noToken);
    const username = this.#options.username ?? usernameFromEntraToken(token.token);
    if (username === undefined) throw new Error(entraIdMessages.noUsernameInToken(this.#options.dbUserKey ?? 'dbUser'));
    const expiresAt = new Date(token.expiresOnTimestamp);
    return {
      username,
      password: token.token,
      expiresAt,
      version: `Entra ID token valid until ${expiresAt.toISOString()}`,
    };
  }

  #credentialToUse(): Promise<EntraTokenCredential> {
    if (this.#options.credential) return Promise.resolve(this.#options.credential);
    this.#credential ??= loadDefaultAzureCredential().then(
      (DefaultAzureCredential) =>
        new DefaultAzureCredential({
          tenantId: this.#options.tenantId,
          managedIdentityClientId: this.#options.managedIdentityClientId,
        } as ConstructorParameters<typeof DefaultAzureCredential>[0]),
    );
    this.#credential.catch(() => (this.#credential = undefined));
    return this.#credential;
  }
}

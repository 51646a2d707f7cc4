import type { CredentialProvider, Credentials } from '../../credentials/credential-provider.interface.js';
import { CLOUD_SQL_LOGIN_SCOPE, SERVICE_ACCOUNT_SUFFIX } from './cloud-sql-iam.defaults.js';
import { loadGoogleAuth } from './google-auth.js';
import { cloudSqlIamMessages } from './messages.js';

/**
 * What the source needs of an auth client of `google-auth-library` (`JWT`, `Compute`, `Impersonated`,
 * `UserRefreshClient`…, all `AuthClient`s); declared here so that the package's types are not
 * needed where it is not installed.
 */
export interface GoogleAuthClientLike {
  getAccessToken(): Promise<{ token?: string | null }>;
  credentials: { expiry_date?: number | null };
  /** A service account's email (JWT clients have it). */
  email?: string;
}

/** What the source needs of a `GoogleAuth` of `google-auth-library`. */
export interface GoogleAuthLike {
  getClient(): Promise<GoogleAuthClientLike>;
  getCredentials(): Promise<{ client_email?: string }>;
}

export interface CloudSqlIamProviderOptions {
  /** The IAM database user; default: the service account's (its email without `.gserviceaccount.com`). */
  username?: string;
  /**
   * Where tokens come from: a `GoogleAuth`, or one of its auth clients. Default:
   * `new GoogleAuth({ scopes: [sqlservice.login] })` (Application Default Credentials).
   */
  auth?: GoogleAuthLike | GoogleAuthClientLike;
  /** The option key named when no user is known. */
  dbUserKey?: string;
  /** The clock for the fallback expiry. Default `Date.now`. */
  now?: () => number;
}

/** Google's access tokens last an hour; assumed when a client reports no expiry. */
const TOKEN_LIFETIME_MS = 3_600_000;

/** The Cloud SQL IAM database user of an IAM principal: a service account's email loses `.gserviceaccount.com`. */
export function cloudSqlIamUser(email: string): string {
  return email.endsWith(SERVICE_ACCOUNT_SUFFIX) ? email.slice(0, -SERVICE_ACCOUNT_SUFFIX.length) : email;
}

/**
 * Google OAuth 2.0 access tokens (scope `sqlservice.login`) for Cloud SQL IAM database
 * authentication, from `google-auth-library`. Each fetch asks its client, which keeps the token
 * and renews it minutes before it expires; the credential cache reuses it for new logins until
 * shortly before its expiry.
 */
export class CloudSqlIamCredentialProvider implements CredentialProvider {
  readonly name = 'cloud-sql-iam';
  // ES private fields: util.inspect and JSON never show them (an auth client may hold a private key).
  readonly #options: CloudSqlIamProviderOptions;
  #auth?: Promise<GoogleAuthLike | GoogleAuthClientLike>;
  #username?: string;

  constructor(options: CloudSqlIamProviderOptions) {
    this.#options = options;
    this.#username = options.username;
  }

  async fetch(): Promise<Credentials> {
    const auth = await this.#authToUse();
    const client = 'getClient' in auth ? await auth.getClient() : auth;
    const { token } = await client.getAccessToken();
    if (!token) throw new Error(cloudSqlIamMessages.noToken);
    const username = (this.#username ??= await this.#usernameOf(auth, client));
    const expiry = client.credentials.expiry_date;
    const expiresAt = new Date(expiry ?? (this.#options.now ?? Date.now)() + TOKEN_LIFETIME_MS);
    return {
      username,
      password: token,
      expiresAt,
      version: `Google access token valid until ${expiresAt.toISOString()}`,
    };
  }

  async #usernameOf(auth: GoogleAuthLike | GoogleAuthClientLike, client: GoogleAuthClientLike): Promise<string> {
    // A JWT client knows its email; asking GoogleAuth would look for a metadata server first.
    const email = client.email ?? ('getCredentials' in auth ? (await auth.getCredentials()).client_email : undefined);
    if (!email) throw new Error(cloudSqlIamMessages.noUser(this.#options.dbUserKey ?? 'dbUser'));
    return cloudSqlIamUser(email);
  }

  #authToUse(): Promise<GoogleAuthLike | GoogleAuthClientLike> {
    if (this.#options.auth) return Promise.resolve(this.#options.auth);
    this.#auth ??= loadGoogleAuth().then(
      (GoogleAuth) => new GoogleAuth({ scopes: [CLOUD_SQL_LOGIN_SCOPE] }) as unknown as GoogleAuthLike,
    );
    this.#auth.catch(() => (this.#auth = undefined));
    return this.#auth;
  }
}

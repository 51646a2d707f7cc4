/**
 * One set of login credentials. `version` identifies it without revealing it (a secret version id, a token's issue
 * time).
 */
export interface Credentials {
  username: string;
  password: string;
  /** After this instant new logins with these credentials fail (IAM tokens). */
  expiresAt?: Date;
  /**
   * Sessions logged in with these credentials must be closed by this instant (a Vault lease's end: revoking it drops
   * the role, and the server's `VALID UNTIL` does not end open sessions). The pool closes each such connection before
   * it, when idle or as soon as it is released, even when `connectionMaxLifetime` would keep it longer. Like
   * `expiresAt`, it ends their use for new logins: from shortly before it, new ones are fetched.
   */
  sessionsEndAt?: Date;
  version?: string;
}

export type CredentialFetchReason = 'initial' | 'scheduled' | 'auth-failure' | 'manual';

export interface CredentialFetchContext {
  reason: CredentialFetchReason;
  /** The credentials the database just rejected, on `auth-failure`. */
  rejected?: Credentials;
}

/** A source of credentials. Called once per refresh, never once per connection or per query. */
export interface CredentialProvider {
  fetch(context: CredentialFetchContext): Promise<Credentials>;
  /** Short name shown in stats and health, e.g. `'secrets-manager'`. Default `'custom'`. */
  readonly name?: string;
  /** Ask for a scheduled refresh after this long even without `expiresAt`, in ms. */
  readonly refreshIntervalMs?: number;
  /** When the source knows a change is due (e.g. a scheduled rotation), the time to re-read it. */
  nextRefreshAt?(): Date | undefined;
  /** Release clients and timers on shutdown. */
  close?(): Promise<void> | void;
}

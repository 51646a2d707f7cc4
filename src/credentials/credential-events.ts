import type { CredentialFetchReason, Credentials } from './credential-provider.interface.js';

/** A fetch returned credentials (changed or not). */
export interface CredentialsFetched {
  reason: CredentialFetchReason;
  credentials: Credentials;
  /** The credentials held before; undefined on the first fetch. */
  previous?: Credentials;
  /** Username or password differ from `previous` (false on the first fetch). */
  changed: boolean;
  /** Failed fetches in a row just before this one: above 0 means the source recovered. */
  failuresBefore: number;
}

/** A fetch failed. `detail` is already redacted. */
export interface CredentialFetchFailed {
  reason: CredentialFetchReason;
  detail: string;
  /** Cached credentials that have not expired keep serving new logins. */
  servingCached: boolean;
  /** Failed fetches in a row, this one included. */
  consecutiveFailures: number;
  /** When the next scheduled attempt runs. */
  retryInMs: number;
}

/** What a credential cache tells its subscribers; each callback is optional. */
export interface CredentialEvents {
  fetched?(event: CredentialsFetched): void;
  fetchFailed?(event: CredentialFetchFailed): void;
  /** The username or password changed (not on the first fetch). */
  changed?(previous: Credentials, next: Credentials): void;
}

/** Per fetch reason, how many fetches succeeded and failed. */
export type FetchCounts = Record<CredentialFetchReason, { succeeded: number; failed: number }>;

export function emptyFetchCounts(): FetchCounts {
  return {
    initial: { succeeded: 0, failed: 0 },
    scheduled: { succeeded: 0, failed: 0 },
    'auth-failure': { succeeded: 0, failed: 0 },
    manual: { succeeded: 0, failed: 0 },
  };
}

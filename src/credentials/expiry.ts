import type { Credentials } from './credential-provider.interface.js';

/** Most of the margin before `expiresAt` from which credentials are renewed for new logins. */
const MAX_EXPIRY_MARGIN_MS = 30_000;
/** Share of the credentials' life kept as margin when that is shorter (short-lived test tokens). */
const EXPIRY_MARGIN_SHARE = 0.1;

/**
 * Until when a new login with these credentials is of use: `expiresAt`, or `sessionsEndAt` when it comes first. A
 * session that must end at once is closed before it is handed out, so credentials past their `sessionsEndAt` are as
 * useless to a checkout as expired ones. Undefined when neither is set.
 */
export function usableUntil(credentials: Credentials): number | undefined {
  const ends = [credentials.expiresAt, credentials.sessionsEndAt].flatMap((date) => (date ? [date.getTime()] : []));
  return ends.length > 0 ? Math.min(...ends) : undefined;
}

/** How long before they stop being usable (see `usableUntil`) new logins stop using these credentials. */
export function expiryMargin(credentials: Credentials, fetchedAt: number): number {
  const life = (usableUntil(credentials) ?? 0) - fetchedAt;
  return Math.min(MAX_EXPIRY_MARGIN_MS, Math.max(0, life) * EXPIRY_MARGIN_SHARE);
}

/** Within the margin: renew before the next login. */
export function isExpiring(credentials: Credentials, fetchedAt: number, now: number): boolean {
  const until = usableUntil(credentials);
  return until !== undefined && now >= until - expiryMargin(credentials, fetchedAt);
}

/** Past `expiresAt` (a login would be refused) or `sessionsEndAt` (its session would be closed unused). */
export function isExpired(credentials: Credentials, now: number): boolean {
  const until = usableUntil(credentials);
  return until !== undefined && now >= until;
}

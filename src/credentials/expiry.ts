import type { Credentials } from './credential-provider.interface.js';

/** Most of the margin before `expiresAt` from which credentials are renewed for new logins. */
const MAX_EXPIRY_MARGIN_MS = 30_000;
/** Share of the credentials' life kept as margin when that is shorter (short-lived test tokens). */
const EXPIRY_MARGIN_SHARE = 0.1;

/** How long before `expiresAt` new logins stop using these credentials. */
export function expiryMargin(credentials: Credentials, fetchedAt: number): number {
  const life = (credentials.expiresAt?.getTime() ?? 0) - fetchedAt;
  return Math.min(MAX_EXPIRY_MARGIN_MS, Math.max(0, life) * EXPIRY_MARGIN_SHARE);
}

/** Within the margin: renew before the next login. */
export function isExpiring(credentials: Credentials, fetchedAt: number, now: number): boolean {
  const expiresAt = credentials.expiresAt?.getTime();
  return expiresAt !== undefined && now >= expiresAt - expiryMargin(credentials, fetchedAt);
}

/** Past `expiresAt`: a login with these would be refused. */
export function isExpired(credentials: Credentials, now: number): boolean {
  const expiresAt = credentials.expiresAt?.getTime();
  return expiresAt !== undefined && now >= expiresAt;
}

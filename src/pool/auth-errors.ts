import { hints } from '../errors/messages.js';

interface PgLikeError {
  code?: string;
  routine?: string;
  message?: string;
}

/** 28000: RDS IAM "PAM authentication failed"; 28P01: wrong password. Both are `auth_failed`. */
const AUTH_SQLSTATES = new Set(['28000', '28P01']);
const AUTH_MESSAGE = /PAM authentication failed|password authentication failed/i;

/** A login refusal that new credentials might cure. Matched by SQLSTATE, the message only as fallback. */
export function isAuthFailure(error: unknown): boolean {
  const candidate = error as PgLikeError | undefined;
  if (candidate?.code !== undefined) return AUTH_SQLSTATES.has(candidate.code);
  return candidate?.routine === 'auth_failed' || AUTH_MESSAGE.test(candidate?.message ?? '');
}

/** A refusal no other credentials can cure: the server has no pg_hba.conf line for this login (e.g. no TLS). */
export function isHbaRefusal(error: unknown): boolean {
  return /no pg_hba\.conf entry/i.test((error as PgLikeError | undefined)?.message ?? '');
}

/** pg-pool's two spellings of "no connection in time". */
export function isConnectTimeout(error: unknown): boolean {
  const message = (error as PgLikeError | undefined)?.message ?? '';
  return message.includes('timeout exceeded when trying to connect') || message.includes('due to connection timeout');
}

/** Seed 000's error table: the fix for a login or connect error. */
export function hintFor(error: unknown): string {
  const message = (error as PgLikeError | undefined)?.message ?? '';
  if (/PAM authentication failed/i.test(message)) return hints.pam;
  if (/password authentication failed/i.test(message)) return hints.password;
  if (/no pg_hba\.conf entry/i.test(message)) return hints.pgHba;
  if (/self[- ]signed certificate|unable to verify the first certificate|unable to get local issuer certificate/i.test(message)) return hints.tls;
  if (isConnectTimeout(error) || /deadline exceeded|timed? ?out/i.test(message)) return hints.timeout;
  return hints.generic;
}

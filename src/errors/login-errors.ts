import { DatabaseConnectionTimeoutError } from './errors.js';
import { hints } from './messages.js';

interface PgLikeError {
  code?: string;
  routine?: string;
  message?: string;
}

/**
 * What a failed login means for the pool:
 * - `refused`: the server rejected these credentials (SQLSTATE 28P01, or 28000 from PostgreSQL's
 *   `auth_failed`, which is how RDS refuses an IAM token: "PAM authentication failed"; Aurora
 *   DSQL says "IAM authentication failed"). New
 *   credentials may cure it.
 * - `not-permitted`: pg_hba.conf has no line for this login (28000 from `ClientAuthentication`,
 *   e.g. IAM without TLS). No credentials cure it.
 * - `undefined`: not a login refusal at all (network, TLS, timeout…).
 */
export type LoginRefusal = 'refused' | 'not-permitted';

/**
 * PgBouncer (up to 1.25 at least) refuses a client's password with SQLSTATE 08P01, its default
 * for every error it raises itself, and one of these messages; PostgreSQL never sends them.
 */
const PGBOUNCER_REFUSAL = /^(SASL|password) authentication failed$/;

/**
 * Decided by SQLSTATE and routine; the message only when a proxy dropped both or, like PgBouncer, sends its own code.
 */
export function classifyLoginError(error: unknown): LoginRefusal | undefined {
  const { code, routine, message = '' } = (error ?? {}) as PgLikeError;
  if (code === '28P01') return 'refused';
  if (code === '08P01' && PGBOUNCER_REFUSAL.test(message)) return 'refused';
  if (code === '28000') {
    if (routine === 'auth_failed') return 'refused';
    if (routine !== undefined) return 'not-permitted';
    return /pg_hba\.conf/i.test(message) ? 'not-permitted' : 'refused';
  }
  if (code !== undefined) return undefined;
  if (routine === 'auth_failed' || /(PAM|IAM|password) authentication failed/i.test(message)) return 'refused';
  return undefined;
}

/** Node's TLS verification failures: the server's certificate is not trusted. */
const UNTRUSTED_CERTIFICATE = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** Node's errors for a server that is down, restarting or out of reach. */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
]);

/**
 * The server refused the startup `-c role=…` (sessionRole): the login user is not a member of the role (42501), or no
 * such role exists (22023). A configuration fault, not a refused credential: new credentials do not cure it.
 */
const ROLE_NOT_GRANTED = /^permission denied to set role "(.+)"$/;
const ROLE_MISSING = /^role "(.+)" does not exist$/;

function sessionRoleHint(code: string | undefined, message: string, username: string | undefined): string | undefined {
  const notGranted = code === '42501' ? ROLE_NOT_GRANTED.exec(message) : null;
  if (notGranted) return hints.sessionRoleNotGranted(notGranted[1]!, username);
  const missing = code === '22023' ? ROLE_MISSING.exec(message) : null;
  return missing ? hints.sessionRoleMissing(missing[1]!) : undefined;
}

/**
 * The troubleshooting table: the fix for a login or connect error, by its code first, its text otherwise. `username`
 * (the login user) lets a hint name it.
 */
export function hintFor(error: unknown, username?: string): string {
  const { code, message = '' } = (error ?? {}) as PgLikeError;
  const roleHint = sessionRoleHint(code, message, username);
  if (roleHint) return roleHint;
  if (error instanceof DatabaseConnectionTimeoutError || code === 'ETIMEDOUT') return hints.timeout;
  if (code !== undefined && UNTRUSTED_CERTIFICATE.has(code)) return hints.tls;
  if ((code !== undefined && UNREACHABLE.has(code)) || /Connection terminated unexpectedly/i.test(message))
    return hints.unreachable;
  const refusal = classifyLoginError(error);
  if (refusal === 'not-permitted') return hints.pgHba;
  if (refusal === 'refused') {
    if (code === '28P01' || /(password|SASL) authentication failed/i.test(message)) return hints.password;
    // Aurora DSQL's refusal of a token; RDS's is "PAM authentication failed".
    return /\bIAM authentication failed/i.test(message) ? hints.iam : hints.pam;
  }
  // A server's own refusal (pg's DatabaseError has a severity): its message says why.
  if ((error as { severity?: unknown } | undefined)?.severity !== undefined) return hints.serverRefused;
  // Errors without a code (wrapped by a proxy, or a driver's own): the table's wording.
  if (
    /self[- ]signed certificate|unable to verify the first certificate|unable to get local issuer certificate/i.test(
      message,
    )
  )
    return hints.tls;
  if (/deadline exceeded|timeout|timed? ?out/i.test(message)) return hints.timeout;
  return hints.generic;
}

const DSN_PASSWORD = /(postgres(?:ql)?:\/\/[^:/@\s]*:)[^@\s]*@/gi;
const REDACTED = '[redacted]';

/**
 * Removes known secret values and any DSN password from text before it is stored, logged or
 * shown. Errors from credential sources and drivers are not ours to trust: a provider may
 * put a password into its message.
 */
export function redactSecrets(text: string, secrets: Iterable<string | undefined>): string {
  let clean = text.replace(DSN_PASSWORD, `$1${REDACTED}@`);
  for (const secret of secrets) {
    // Very short values would blank out ordinary words; no real password or token is that short.
    if (secret && secret.length >= 4) clean = clean.split(secret).join(REDACTED);
  }
  return clean;
}

/**
 * A code is safe to show when it is an identifier (`AccessDeniedException`, `ECONNREFUSED`, `28P01`), not free text.
 */
const SAFE_CODE = /^[A-Za-z0-9_.-]{1,64}$/;

/**
 * What can be told of a source's error without trusting its text: the AWS error name (SDK errors
 * carry `$metadata`), a Node or library `code`, and an HTTP status, looked for along its causes.
 */
export function safeErrorCode(error: unknown): { code?: string; httpStatus?: number } {
  const found: { code?: string; httpStatus?: number } = {};
  for (let current = error, depth = 0; typeof current === 'object' && current !== null && depth < 5; depth++) {
    const candidate = current as {
      name?: unknown;
      code?: unknown;
      $metadata?: { httpStatusCode?: unknown };
      status?: unknown;
      statusCode?: unknown;
      httpStatus?: unknown;
      cause?: unknown;
    };
    const code = candidate.$metadata !== undefined ? candidate.name : candidate.code;
    if (found.code === undefined && typeof code === 'string' && SAFE_CODE.test(code)) found.code = code;
    const status =
      candidate.$metadata?.httpStatusCode ?? candidate.httpStatus ?? candidate.statusCode ?? candidate.status;
    if (found.httpStatus === undefined && typeof status === 'number' && Number.isInteger(status))
      found.httpStatus = status;
    current = candidate.cause;
  }
  return found;
}

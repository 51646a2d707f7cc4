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

/**
 * The sentences every source shares: choosing one, the database user, the generic fix. One
 * catalogue per area (see errors/messages.ts for the rule); each source keeps its own sentences in
 * its folder's messages.ts. None takes a secret.
 */
export const sourceMessages = {
  noCredentialSource: (keys: readonly string[]) =>
    `no credential source: set exactly one of ${keys.join(', ')} (or a password in the dsn)`,
  manyCredentialSources: (found: readonly string[]) =>
    `${found.join(' and ')} are ${found.length === 2 ? 'both' : 'all'} set; choose exactly one credential source`,
  noUser: (keys: readonly string[]) => `no database user: set ${keys.join(' or ')}, or put the user in the dsn`,
  required: (what: string) => `is required: ${what}`,
  genericFix: 'Check the credential source.',
} as const;

/** ", reused until …" after a doctor line, when the credentials say when they expire. */
export function reusedUntil(expiresAt: string | undefined): string {
  return expiresAt ? `, reused until ${expiresAt}` : '';
}

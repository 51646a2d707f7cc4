/**
 * The static password source's sentences: one catalogue per area (see errors/messages.ts for the rule). Never the
 * password.
 */
export const staticMessages = {
  describeStatic: (username: string) => `static password for user ${username}`,
} as const;

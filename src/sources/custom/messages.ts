import { reusedUntil } from '../messages.js';

/** The custom provider source's sentences: one catalogue per area (see errors/messages.ts for the rule). */
export const customMessages = {
  notAProvider: 'an object with a fetch(context) method',
  describeCustom: (username: string, expiresAt?: string) =>
    `custom provider gave credentials for ${username}${reusedUntil(expiresAt)}`,
} as const;

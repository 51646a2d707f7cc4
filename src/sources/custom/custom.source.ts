import { z } from 'zod';
import type { CredentialProvider } from '../../credentials/credential-provider.interface.js';
import { messages } from '../../errors/messages.js';
import type { CredentialSource } from '../credential-source.js';
import { sourceMessages } from '../messages.js';
import { customMessages } from './messages.js';

export interface CustomSourceOptions {
  /** Any other credential source: an object with `fetch(context)`. */
  credentialProvider?: CredentialProvider;
}

export interface CustomSource {
  kind: 'custom';
  provider: CredentialProvider;
}

const credentialProvider = z.custom<CredentialProvider>(
  (value) => typeof (value as CredentialProvider | undefined)?.fetch === 'function',
  { error: messages.wrongType(customMessages.notAProvider) },
);

/** Any `{ fetch(context) }` the application brings (Vault, a sidecar, a test double). */
export const customProviderSource = {
  kind: 'custom',
  optionKey: ['credentialProvider'],
  shape: { credentialProvider: credentialProvider.optional() },
  chosenBy: (raw) => (raw.credentialProvider !== undefined ? ['credentialProvider'] : undefined),
  resolve: (raw) => ({ kind: 'custom', provider: raw.credentialProvider as CredentialProvider }),
  createProvider: (resolved) => resolved.provider,
  describe: (_resolved, credentials) =>
    customMessages.describeCustom(credentials.username, credentials.expiresAt?.toISOString()),
  fix: sourceMessages.genericFix,
} satisfies CredentialSource<CustomSource, CustomSourceOptions>;

export type {
  CredentialFetchContext,
  CredentialFetchReason,
  CredentialProvider,
  Credentials,
} from './credential-provider.interface.js';
export type { CredentialStatus } from './credential-cache.js';

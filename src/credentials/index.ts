export type { CredentialFetchContext, CredentialFetchReason, CredentialProvider, Credentials } from './credential-provider.interface.js';
export type { CredentialStatus } from './credential-cache.js';
export { StaticCredentialProvider } from './static.provider.js';
export { RdsIamCredentialProvider } from './rds-iam.provider.js';
export { SecretsManagerCredentialProvider } from './secrets-manager.provider.js';

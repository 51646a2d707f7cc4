export type { ConnectionFacts } from './credential-source.js';
export {
  createCredentialProvider,
  credentialSourceFix,
  credentialSourceRefusesPlaintext,
  type CredentialSourceOptions,
  describeCredentials,
  type ResolvedCredentialSource,
} from './registry.js';
export type { AwsIamAuthOptions } from './rds-iam/rds-iam.source.js';
export { RdsIamCredentialProvider } from './rds-iam/rds-iam.provider.js';
export type { DsqlAuthOptions } from './dsql/dsql.source.js';
export { DsqlCredentialProvider } from './dsql/dsql.provider.js';
export type { EntraIdAuthOptions } from './entra-id/entra-id.source.js';
export {
  EntraIdCredentialProvider,
  type EntraIdProviderOptions,
  type EntraTokenCredential,
  usernameFromEntraToken,
} from './entra-id/entra-id.provider.js';
export type { CloudSqlIamAuthOptions } from './cloud-sql-iam/cloud-sql-iam.source.js';
export {
  CloudSqlIamCredentialProvider,
  type CloudSqlIamProviderOptions,
  cloudSqlIamUser,
  type GoogleAuthClientLike,
  type GoogleAuthLike,
} from './cloud-sql-iam/cloud-sql-iam.provider.js';
export type { SecretsManagerOptions } from './secrets-manager/secrets-manager.source.js';
export { SecretsManagerCredentialProvider } from './secrets-manager/secrets-manager.provider.js';
export { StaticCredentialProvider } from './static/static.provider.js';
export type {
  VaultAppRoleOptions,
  VaultKubernetesOptions,
  VaultKvOptions,
  VaultOptions,
} from './vault/vault.source.js';
export { VaultKvCredentialProvider, type VaultKvProviderOptions } from './vault/vault-kv.provider.js';
export { VaultCredentialProvider, type VaultProviderOptions } from './vault/vault.provider.js';
export type { VaultAuth } from './vault/vault-login.js';

export { type Duration, formatDuration, parseDuration } from './common/duration.js';
export type { DatabaseModuleOptions } from './config/index.js';
export {
  databaseOptionsFromEnv,
  listDatabaseConnections,
  loadDatabaseConfigFile,
  parseDatabaseConfig,
  readDatabaseConfig,
  resolveDatabaseOptions,
} from './config/index.js';
export type {
  CredentialFetchContext,
  CredentialFetchReason,
  CredentialProvider,
  Credentials,
  CredentialStatus,
} from './credentials/index.js';
export type {
  AwsIamAuthOptions,
  CloudSqlIamAuthOptions,
  CloudSqlIamProviderOptions,
  DsqlAuthOptions,
  EntraIdAuthOptions,
  EntraIdProviderOptions,
  EntraTokenCredential,
  GoogleAuthClientLike,
  GoogleAuthLike,
  SecretsManagerOptions,
  VaultAppRoleOptions,
  VaultAuth,
  VaultKubernetesOptions,
  VaultKvOptions,
  VaultKvProviderOptions,
  VaultOptions,
  VaultProviderOptions,
} from './sources/index.js';
export {
  CloudSqlIamCredentialProvider,
  DsqlCredentialProvider,
  EntraIdCredentialProvider,
  RdsIamCredentialProvider,
  SecretsManagerCredentialProvider,
  StaticCredentialProvider,
  VaultCredentialProvider,
  VaultKvCredentialProvider,
} from './sources/index.js';
export {
  CredentialSourceError,
  DatabaseAuthError,
  DatabaseConfigError,
  DatabaseConnectionError,
  DatabaseConnectionTimeoutError,
  DatabasePoolClosedError,
  RotatingPgError,
} from './errors/index.js';
export type { CloseReason, DatabaseStats } from './pool/index.js';
export { DatabaseModule } from './database.module.js';
export type { DatabaseModuleExtras, DatabaseOptionsFactory } from './database.module-definition.js';
export { InjectDb, InjectPgPool } from './database.decorators.js';
export { getDbServiceToken, getPgPoolToken } from './database.utils.js';
export { DbService } from './db.service.js';
export { typeOrmDriver, typeOrmReplication, type TypeOrmReplicationOptions } from './orm/index.js';

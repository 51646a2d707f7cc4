export type { AwsIamAuthOptions, DatabaseModuleOptions, SecretsManagerOptions } from './database-options.interface.js';
export { type Duration, formatDuration, parseDuration } from './duration.js';
export type { ConnectionSettings, CredentialSource, ResolvedDatabaseOptions } from './resolved-options.js';
export { resolveDatabaseOptions } from './validate-options.js';
export { listDatabaseConnections, loadDatabaseConfigFile, parseDatabaseConfig, readDatabaseConfig } from './yaml-config.js';
export { databaseOptionsFromEnv } from './env-options.js';

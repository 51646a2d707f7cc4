export type { DatabaseModuleOptions } from './database-options.interface.js';
export type { AwsIamAuthOptions, SecretsManagerOptions } from './sources/index.js';
export { type Duration, formatDuration, parseDuration } from './duration.js';
export type { ConnectionSettings, ResolvedDatabaseOptions } from './resolved-options.js';
export type { ResolvedCredentialSource } from './sources/index.js';
export { resolveDatabaseOptions } from './resolve-database-options.js';
export { listDatabaseConnections, loadDatabaseConfigFile, parseDatabaseConfig, readDatabaseConfig } from './yaml-config.js';
export { databaseOptionsFromEnv } from './env-options.js';

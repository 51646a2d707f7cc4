export type { DatabaseModuleOptions } from './database-options.interface.js';
export type { ConnectionSettings, ResolvedDatabaseOptions } from './resolved-options.js';
export { resolveDatabaseOptions } from './resolve-database-options.js';
export {
  listDatabaseConnections,
  loadDatabaseConfigFile,
  parseDatabaseConfig,
  readDatabaseConfig,
} from './yaml-config.js';
export { databaseOptionsFromEnv } from './env-options.js';

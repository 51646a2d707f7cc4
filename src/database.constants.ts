import { DEFAULT_CONNECTION_NAME } from './config/defaults.js';

export { DEFAULT_CONNECTION_NAME };
/** Prefix of the injection tokens of named connections. */
export const DB_SERVICE_TOKEN_PREFIX = 'nestjs-rotating-pg:DbService:';
/** Prefix of the injection tokens of each connection's `pg.Pool`. */
export const PG_POOL_TOKEN_PREFIX = 'nestjs-rotating-pg:PgPool:';

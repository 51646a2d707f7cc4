import { DEFAULT_CONNECTION_NAME } from './config/defaults.js';

export { DEFAULT_CONNECTION_NAME };
/** Prefix of the injection tokens of named connections. */
export const DB_SERVICE_TOKEN_PREFIX = 'nestjs-rotating-pg:DbService:';

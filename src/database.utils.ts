import { DbService } from './db.service.js';
import { DB_SERVICE_TOKEN_PREFIX, DEFAULT_CONNECTION_NAME } from './database.constants.js';

/** Injection token of a connection's `DbService`: the class itself for the default connection. */
export function getDbServiceToken(name: string = DEFAULT_CONNECTION_NAME): string | typeof DbService {
  return name === DEFAULT_CONNECTION_NAME ? DbService : `${DB_SERVICE_TOKEN_PREFIX}${name}`;
}

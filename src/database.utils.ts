import { DbService } from './db.service.js';
import { DB_SERVICE_TOKEN_PREFIX, DEFAULT_CONNECTION_NAME, PG_POOL_TOKEN_PREFIX } from './database.constants.js';

/** Injection token of a connection's `DbService`: the class itself for the default connection. */
export function getDbServiceToken(name: string = DEFAULT_CONNECTION_NAME): string | typeof DbService {
  return name === DEFAULT_CONNECTION_NAME ? DbService : `${DB_SERVICE_TOKEN_PREFIX}${name}`;
}

/** Injection token of a connection's `pg.Pool` (`DbService.pool`), for ORM providers. */
export function getPgPoolToken(name: string = DEFAULT_CONNECTION_NAME): string {
  return `${PG_POOL_TOKEN_PREFIX}${name}`;
}

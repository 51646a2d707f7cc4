import type { ClientConfig } from 'pg';
import { parseIntoClientConfig } from 'pg-connection-string';
import { messages } from '../errors/messages.js';

/** Thrown with a message that names what is wrong, never the DSN itself (it may hold a password). */
export class DsnError extends Error {}

const URL_SCHEME = /^([a-z][a-z0-9+.-]*):\/\//i;
const POSTGRES_SCHEMES = new Set(['postgres', 'postgresql']);
/** libpq's `key=value` form, as Go's lib/pq and psql accept it: `host=db port=5432 dbname=app`. */
const KEY_VALUE_PAIR = /\s*([a-z_]+)\s*=\s*('(?:[^'\\]|\\.)*'|[^\s']*)/giy;
/** The sslmode values pg-connection-string knows; it reads any other one as verify-full, which libpq refuses. */
const SSL_MODES = ['disable', 'prefer', 'require', 'verify-ca', 'verify-full', 'no-verify'];
/** libpq keys and their names in a postgresql:// URL. */
const URL_KEYS: Readonly<Record<string, string>> = { dbname: 'database' };

/**
 * pg settings from a DSN: a `postgresql://` (or `postgres://`) URL, or libpq's `key=value`
 * form. Anything else is refused: pg-connection-string would read `not a url` or
 * `127.0.0.1:5432/db` as a host named "base", and a `key=value` DSN as a database name.
 */
export function parseDsn(dsn: string): ClientConfig {
  if (dsn.trim() === '') throw new DsnError(messages.emptyDsn());
  const scheme = URL_SCHEME.exec(dsn)?.[1];
  if (scheme !== undefined) {
    if (!POSTGRES_SCHEMES.has(scheme.toLowerCase())) throw new DsnError(messages.notPostgresDsn(scheme));
    return parseUrl(dsn);
  }
  if (/^\s*[a-z_]+\s*=/i.test(dsn)) return parseUrl(keyValueToUrl(dsn));
  throw new DsnError(messages.badDsn());
}

function parseUrl(url: string): ClientConfig {
  let config: ClientConfig & { sslmode?: string };
  try {
    config = parseIntoClientConfig(url);
  } catch (error) {
    // sslrootcert, sslcert and sslkey name files that pg-connection-string reads while parsing.
    const { code, path } = error as NodeJS.ErrnoException;
    throw new DsnError(code !== undefined && path !== undefined ? messages.dsnFileUnreadable(path, code) : messages.badDsn());
  }
  if (config.sslmode !== undefined && !SSL_MODES.includes(config.sslmode)) throw new DsnError(messages.badSslMode(config.sslmode, SSL_MODES));
  return config;
}

/** The same settings as a URL, so pg-connection-string gives both forms one meaning (sslmode included). */
function keyValueToUrl(dsn: string): string {
  const pairs: Record<string, string> = {};
  KEY_VALUE_PAIR.lastIndex = 0;
  let consumed = 0;
  for (let match = KEY_VALUE_PAIR.exec(dsn); match; match = KEY_VALUE_PAIR.exec(dsn)) {
    const [, key, value = ''] = match;
    pairs[key!.toLowerCase()] = value.startsWith("'") ? value.slice(1, -1).replace(/\\(.)/g, '$1') : value;
    consumed = KEY_VALUE_PAIR.lastIndex;
  }
  if (dsn.slice(consumed).trim() !== '') throw new DsnError(messages.badDsn());
  const { host = '', port, dbname, user, password, ...rest } = pairs;
  const auth = user === undefined ? '' : `${encodeURIComponent(user)}${password === undefined ? '' : `:${encodeURIComponent(password)}`}@`;
  const query = new URLSearchParams(Object.entries(rest).map(([key, value]): [string, string] => [URL_KEYS[key] ?? key, value])).toString();
  return `postgresql://${auth}${encodeURIComponent(host)}${port ? `:${port}` : ''}/${encodeURIComponent(dbname ?? '')}${query ? `?${query}` : ''}`;
}

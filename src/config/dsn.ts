import type { ClientConfig } from 'pg';
import { parseIntoClientConfig } from 'pg-connection-string';
import { configMessages } from './messages.js';
import { type KeyNamer, optionKeyNames } from '../common/option-checker.js';

/** Thrown with messages that name what is wrong, never the DSN itself (it may hold a password). */
export class DsnError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(problems.join('; '));
  }
}

const URL_SCHEME = /^([a-z][a-z0-9+.-]*):\/\//i;
const POSTGRES_SCHEMES = new Set(['postgres', 'postgresql']);
/** libpq's `key=value` form, as Go's lib/pq and psql accept it: `host=db port=5432 dbname=app`. */
const KEY_VALUE_PAIR = /\s*([a-z_]+)\s*=\s*('(?:[^'\\]|\\.)*'|[^\s']*)/giy;
/** The sslmode values pg-connection-string knows; it reads any other one as verify-full, which libpq refuses. */
const SSL_MODES = ['disable', 'prefer', 'require', 'verify-ca', 'verify-full', 'no-verify'];
/** libpq keys and their names in a postgresql:// URL. */
const URL_KEYS: Readonly<Record<string, string>> = { dbname: 'database' };
/**
 * Query keys pg honours and the module passes on. Anything else pg-connection-string would copy
 * into pg's config unchecked, where pool options (`maxUses=1`, `min`, `allowExitOnIdle`) would
 * reach the pool behind the module's back and libpq keywords pg does not implement would be dropped.
 */
const HONOURED_KEYS = new Set([
  'host',
  'port',
  'user',
  'password',
  'dbname',
  'sslmode',
  'sslrootcert',
  'sslcert',
  'sslkey',
  'uselibpqcompat',
  'application_name',
  'fallback_application_name',
  'options',
  'client_encoding',
  'connect_timeout',
]);
/** pg and pg-pool settings that the module sets from its own options: the option to use instead, or none. */
const MODULE_OWNED_KEYS: Readonly<Record<string, string | undefined>> = {
  max: 'maxOpenConnections',
  min: undefined,
  maxUses: 'connectionMaxLifetime',
  maxLifetimeSeconds: 'connectionMaxLifetime',
  idleTimeoutMillis: 'connectionMaxIdleTime',
  connectionTimeoutMillis: 'connectionTimeout',
  allowExitOnIdle: undefined,
  statement_timeout: 'statementTimeout',
  query_timeout: 'queryTimeout',
  lock_timeout: 'lockTimeout',
  idle_in_transaction_session_timeout: 'idleInTransactionSessionTimeout',
  keepAlive: 'keepAlive',
  keepAliveInitialDelayMillis: 'keepAliveInitialDelay',
  ssl: 'ssl',
};
/** libpq keywords that pg does not implement: refused with a reason rather than dropped without a word. */
const UNSUPPORTED_LIBPQ_KEYS: Readonly<Record<string, string>> = {
  target_session_attrs:
    'pg connects to the one host given and does not check whether it accepts writes; name the writer (or reader) endpoint of the cluster as the host',
};

/**
 * pg settings from a DSN: a `postgresql://` (or `postgres://`) URL, or libpq's `key=value`
 * form. Anything else is refused: pg-connection-string would read `not a url` or
 * `127.0.0.1:5432/db` as a host named "base", and a `key=value` DSN as a database name.
 */
export function parseDsn(dsn: string, keyName: KeyNamer = optionKeyNames): ClientConfig {
  if (dsn.trim() === '') throw new DsnError([configMessages.emptyDsn()]);
  const scheme = URL_SCHEME.exec(dsn)?.[1];
  if (scheme !== undefined) {
    if (!POSTGRES_SCHEMES.has(scheme.toLowerCase())) throw new DsnError([configMessages.notPostgresDsn(scheme)]);
    return parseUrl(dsn, keyName);
  }
  if (/^\s*[a-z_]+\s*=/i.test(dsn)) return parseUrl(keyValueToUrl(dsn), keyName);
  throw new DsnError([configMessages.badDsn()]);
}

function parseUrl(url: string, keyName: KeyNamer): ClientConfig {
  const problems = queryProblems(url, keyName);
  if (problems.length > 0) throw new DsnError(problems);
  let config: ClientConfig & { sslmode?: string };
  try {
    config = parseIntoClientConfig(url);
  } catch (error) {
    // sslrootcert, sslcert and sslkey name files that pg-connection-string reads while parsing.
    const { code, path } = error as NodeJS.ErrnoException;
    throw new DsnError([
      code !== undefined && path !== undefined ? configMessages.dsnFileUnreadable(path, code) : configMessages.badDsn(),
    ]);
  }
  if (config.sslmode !== undefined && !SSL_MODES.includes(config.sslmode))
    throw new DsnError([configMessages.badSslMode(config.sslmode, SSL_MODES)]);
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
  if (dsn.slice(consumed).trim() !== '') throw new DsnError([configMessages.badDsn()]);
  const { host = '', port, dbname, user, password, ...rest } = pairs;
  const auth =
    user === undefined
      ? ''
      : `${encodeURIComponent(user)}${password === undefined ? '' : `:${encodeURIComponent(password)}`}@`;
  const query = new URLSearchParams(
    Object.entries(rest).map(([key, value]): [string, string] => [URL_KEYS[key] ?? key, value]),
  ).toString();
  return `postgresql://${auth}${encodeURIComponent(host)}${port ? `:${port}` : ''}/${encodeURIComponent(dbname ?? '')}${query ? `?${query}` : ''}`;
}

/** One problem per query key that the module does not pass on; names only keys, never values. */
function queryProblems(url: string, keyName: KeyNamer): string[] {
  let keys: string[];
  try {
    keys = [...new Set(new URL(url).searchParams.keys())];
  } catch {
    // pg-connection-string reports an unparseable URL next.
    return [];
  }
  return keys.flatMap((key) => {
    if (HONOURED_KEYS.has(key)) return [];
    if (key in MODULE_OWNED_KEYS) {
      const option = MODULE_OWNED_KEYS[key];
      return [configMessages.dsnSetsModuleOption(key, option === undefined ? undefined : keyName([option]))];
    }
    const unsupported = UNSUPPORTED_LIBPQ_KEYS[key];
    return [
      unsupported === undefined
        ? configMessages.dsnUnknownKey(key)
        : configMessages.dsnUnsupportedKey(key, unsupported),
    ];
  });
}

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import type { ConnectionSettings } from '../config/resolved-options.js';
import type { Credentials } from '../credentials/credential-provider.interface.js';
import { cliMessages } from './messages.js';

/** libpq's sslmode values that pg's TLS settings can mean. */
export type LibpqSslMode = 'disable' | 'require' | 'verify-ca' | 'verify-full';

/** What a libpq tool (psql, pg_dump) or a URL-reading one (node-pg-migrate, Knex, Prisma…) needs to log in. */
export interface ToolEnvironment {
  /** `DATABASE_URL` and the `PG*` variables: every one holds the live credential or points at its connection. */
  variables: Record<string, string>;
  url: string;
}

/**
 * Files a tool needs for the duration of one run (a CA given as PEM text, Node's own roots): in a
 * private folder (0700, each file 0600) that `remove` deletes.
 */
export class PrivateFiles {
  #folder?: string;

  write(name: string, content: string): string {
    this.#folder ??= mkdtempSync(join(tmpdir(), 'nestjs-rotating-pg-'));
    const path = join(this.#folder, name);
    writeFileSync(path, content, { mode: 0o600 });
    return path;
  }

  remove(): void {
    if (this.#folder) rmSync(this.#folder, { recursive: true, force: true });
    this.#folder = undefined;
  }
}

type Pem = string | Buffer | (string | Buffer | { pem: string | Buffer })[];
type TlsSettings = {
  rejectUnauthorized?: boolean;
  checkServerIdentity?: unknown;
  ca?: Pem;
  cert?: Pem;
  key?: Pem;
};
/** The dsn's own file names, which pg-connection-string kept next to the contents it read. */
type DsnFiles = { sslrootcert?: string; sslcert?: string; sslkey?: string };

/**
 * The settings pg would log in with, as libpq's variables and a `postgresql://` URL: user,
 * password, database and host each percent-encoded (tokens hold `&`, `=`, `%`, `/`, `+`), and
 * pg's `ssl` read back as the sslmode that means the same. `files` receives the PEM texts libpq can
 * only read from a file; without it (the `url` command) such a setting is refused.
 */
export function toolEnvironment(
  settings: ConnectionSettings,
  credentials: Credentials,
  files?: PrivateFiles,
): ToolEnvironment {
  // pg's default database is the user's name; libpq's too, but the user is the one of these credentials.
  const database = settings.database ?? credentials.username;
  const tls = libpqTls(settings, files);
  const variables: Record<string, string> = {
    PGHOST: settings.host,
    PGPORT: String(settings.port),
    PGUSER: credentials.username,
    PGPASSWORD: credentials.password,
    PGDATABASE: database,
    ...tls,
  };
  if (typeof settings.options === 'string') variables.PGOPTIONS = settings.options;
  const query = Object.entries({
    sslmode: tls.PGSSLMODE,
    sslrootcert: tls.PGSSLROOTCERT,
    sslcert: tls.PGSSLCERT,
    sslkey: tls.PGSSLKEY,
    options: variables.PGOPTIONS,
  })
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    // Not URLSearchParams: it writes a space as `+`, which libpq keeps as a plus sign.
    .map(([key, value]) => `${key}=${encodeURIComponent(value)}`)
    .join('&');
  const url =
    `postgresql://${encodeURIComponent(credentials.username)}:${encodeURIComponent(credentials.password)}` +
    `@${urlHost(settings.host)}:${settings.port}/${encodeURIComponent(database)}?${query}`;
  return { variables: { DATABASE_URL: url, ...variables }, url };
}

/** An IPv6 address in brackets; a socket folder (`/var/run/postgresql`) percent-encoded, which libpq and pg read. */
function urlHost(host: string): string {
  return host.includes(':') && !host.startsWith('/') ? `[${host}]` : encodeURIComponent(host);
}

interface LibpqTlsVariables {
  PGSSLMODE: LibpqSslMode;
  PGSSLROOTCERT?: string;
  PGSSLCERT?: string;
  PGSSLKEY?: string;
}

/**
 * pg's `ssl` as libpq understands it. pg without `ssl` never tries TLS: `disable`, not libpq's
 * `prefer`. `rejectUnauthorized: false` encrypts without checking anything: `require`. A
 * `checkServerIdentity` of one's own (pg-connection-string's verify-ca sets an empty one) checks the
 * chain but not pg's host rule: `verify-ca`. Anything else is pg's default, verify-full, against
 * `ca`, or else Node's built-in roots, which libpq then gets as a file too.
 */
function libpqTls(settings: ConnectionSettings, files: PrivateFiles | undefined): LibpqTlsVariables {
  const ssl = settings.ssl;
  if (!ssl) return { PGSSLMODE: 'disable' };
  const tls: TlsSettings = ssl === true ? {} : ssl;
  const dsnFiles = settings as DsnFiles;
  const variables: LibpqTlsVariables = { PGSSLMODE: 'verify-full' };
  if (tls.rejectUnauthorized === false) variables.PGSSLMODE = 'require';
  else {
    if (typeof tls.checkServerIdentity === 'function') variables.PGSSLMODE = 'verify-ca';
    variables.PGSSLROOTCERT =
      dsnFiles.sslrootcert ??
      fileFor(files, 'root.crt', tls.ca === undefined ? rootCertificates.join('\n') : pemText(tls.ca), 'ca');
  }
  if (tls.cert !== undefined)
    variables.PGSSLCERT = dsnFiles.sslcert ?? fileFor(files, 'client.crt', pemText(tls.cert), 'cert');
  if (tls.key !== undefined)
    variables.PGSSLKEY = dsnFiles.sslkey ?? fileFor(files, 'client.key', pemText(tls.key), 'key');
  return variables;
}

function fileFor(files: PrivateFiles | undefined, name: string, pem: string, key: 'ca' | 'cert' | 'key'): string {
  if (!files) throw new Error(cliMessages.urlNeedsFile(key));
  return files.write(name, pem);
}

function pemText(pem: Pem): string {
  const parts = Array.isArray(pem) ? pem : [pem];
  return parts
    .map((part) => (typeof part === 'string' || Buffer.isBuffer(part) ? part : part.pem).toString())
    .map((text) => (text.endsWith('\n') ? text : `${text}\n`))
    .join('');
}

import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { parse } from 'pg-connection-string';
import { PrivateFiles, toolEnvironment } from '../../src/cli/tool-environment.js';
import type { ConnectionSettings } from '../../src/config/resolved-options.js';
import { resolveDatabaseOptions } from '../../src/config/resolve-database-options.js';
import { useTempFolder } from '../support/temp-folder.js';

const folder = useTempFolder('tool-env-');
const credentials = { username: 'app user', password: 'p&=%/+ @:?#x' };
const local: ConnectionSettings = { host: '127.0.0.1', port: 6543, database: 'app db' };
const CA = '-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n';

describe('the environment exec gives a tool', () => {
  let files: PrivateFiles;
  beforeEach(() => (files = new PrivateFiles()));
  afterEach(() => files.remove());

  it('percent-encodes every part of the URL, so it reads back as the same credentials', () => {
    const { url, variables } = toolEnvironment(local, credentials);
    expect(url).toBe(
      'postgresql://app%20user:p%26%3D%25%2F%2B%20%40%3A%3F%23x@127.0.0.1:6543/app%20db?sslmode=disable',
    );
    const parsed = new URL(url);
    expect(decodeURIComponent(parsed.password)).toBe(credentials.password);
    expect(parse(url)).toMatchObject({ user: 'app user', password: credentials.password, database: 'app db' });
    expect(variables).toMatchObject({
      DATABASE_URL: url,
      PGHOST: '127.0.0.1',
      PGPORT: '6543',
      PGUSER: 'app user',
      PGPASSWORD: credentials.password,
      PGDATABASE: 'app db',
      PGSSLMODE: 'disable',
    });
  });

  it("uses the user's name as the database when none is set, as pg does", () => {
    const { variables } = toolEnvironment({ host: 'db.internal', port: 5432 }, credentials);
    expect(variables.PGDATABASE).toBe('app user');
  });

  it('writes an IPv6 host in brackets and a socket folder percent-encoded', () => {
    expect(toolEnvironment({ host: '::1', port: 5432 }, credentials).url).toContain('@[::1]:5432/');
    expect(toolEnvironment({ host: '/var/run/postgresql', port: 5432 }, credentials).url).toContain(
      '@%2Fvar%2Frun%2Fpostgresql:5432/',
    );
  });

  it('passes pg options as PGOPTIONS, with spaces encoded as %20 for libpq', () => {
    const { url, variables } = toolEnvironment({ ...local, options: '-c search_path=app' }, credentials);
    expect(variables.PGOPTIONS).toBe('-c search_path=app');
    expect(url).toContain('options=-c%20search_path%3Dapp');
  });

  it("adds sessionRole to the dsn's options, escaped for PostgreSQL and percent-encoded in the URL", () => {
    const { connection } = resolveDatabaseOptions({
      dsn: 'postgresql://app:x@127.0.0.1:6543/app?options=-c%20search_path%3Dapp',
      sessionRole: 'Schema Owner\\1',
    });
    const { url, variables } = toolEnvironment(connection, credentials);
    expect(variables.PGOPTIONS).toBe('-c search_path=app -c role=Schema\\ Owner\\\\1');
    expect(url).toContain('options=-c%20search_path%3Dapp%20-c%20role%3DSchema%5C%20Owner%5C%5C1');
    expect(parse(url).options).toBe(variables.PGOPTIONS);
  });

  describe('pg TLS settings as libpq sslmode', () => {
    it('verify-full with a CA given as PEM text, written to a private file that remove() deletes', () => {
      const { variables, url } = toolEnvironment({ ...local, ssl: { ca: CA } }, credentials, files);
      const path = variables.PGSSLROOTCERT!;
      expect(variables.PGSSLMODE).toBe('verify-full');
      expect(readFileSync(path, 'utf8')).toBe(CA);
      expect(statSync(path).mode & 0o777).toBe(0o600);
      expect(statSync(join(path, '..')).mode & 0o777).toBe(0o700);
      expect(url).toContain(`sslmode=verify-full&sslrootcert=${encodeURIComponent(path)}`);
      files.remove();
      expect(existsSync(path)).toBe(false);
    });

    it("verify-full against the dsn's own sslrootcert file", () => {
      const caFile = join(folder, 'rds-ca.pem');
      writeFileSync(caFile, CA);
      const { variables } = toolEnvironment({ ...local, ssl: { ca: CA }, sslrootcert: caFile } as never, credentials);
      expect(variables).toMatchObject({ PGSSLMODE: 'verify-full', PGSSLROOTCERT: caFile });
    });

    it("verify-full against Node's built-in CAs when ssl is true, as pg verifies", () => {
      const { variables } = toolEnvironment({ ...local, ssl: true }, credentials, files);
      expect(variables.PGSSLMODE).toBe('verify-full');
      expect(readFileSync(variables.PGSSLROOTCERT!, 'utf8')).toContain(rootCertificates[0]!);
    });

    it('require when pg does not verify the server, verify-ca when it skips the host check', () => {
      expect(toolEnvironment({ ...local, ssl: { rejectUnauthorized: false } }, credentials).variables).toMatchObject({
        PGSSLMODE: 'require',
      });
      const verifyCa = toolEnvironment(
        { ...local, ssl: { ca: CA, checkServerIdentity: () => undefined } },
        credentials,
        files,
      );
      expect(verifyCa.variables.PGSSLMODE).toBe('verify-ca');
      expect(verifyCa.variables.PGSSLROOTCERT).toBeDefined();
    });

    it('refuses, for a URL alone, a CA that is no file, naming the fix', () => {
      expect(() => toolEnvironment({ ...local, ssl: { ca: CA } }, credentials)).toThrow(
        /url: the TLS CA certificate \(ssl\.ca.*\) is not a file.*sslrootcert=\/path.*use exec/,
      );
    });
  });
});

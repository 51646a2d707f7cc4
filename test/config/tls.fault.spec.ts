import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TLSSocket } from 'node:tls';
import { DatabaseConnectionError, DbService } from '../../src/index.js';
import { captureNestLog } from '../support/captured-log.js';

/** A certificate for 127.0.0.1 signed by a CA of its own, as RDS's are: Node's CA store knows neither. */
function privateCaCertificate(): { key: string; cert: string } {
  const folder = mkdtempSync(join(tmpdir(), 'tls-spec-'));
  const file = (name: string) => join(folder, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
  try {
    openssl(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=Test RDS Root CA',
      '-keyout',
      file('ca.key'),
      '-out',
      file('ca.pem'),
    );
    openssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      '/CN=127.0.0.1',
      '-keyout',
      file('key.pem'),
      '-out',
      file('leaf.csr'),
    );
    openssl(
      'x509',
      '-req',
      '-in',
      file('leaf.csr'),
      '-CA',
      file('ca.pem'),
      '-CAkey',
      file('ca.key'),
      '-CAcreateserial',
      '-days',
      '1',
      '-out',
      file('cert.pem'),
    );
    return { key: readFileSync(file('key.pem'), 'utf8'), cert: readFileSync(file('cert.pem'), 'utf8') };
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

/** Answers PostgreSQL's SSLRequest with 'S' and completes the TLS handshake, as a TLS-only server does. */
async function tlsOnlyServer(certificate: { key: string; cert: string }): Promise<{ server: Server; port: number }> {
  const server = createServer((socket) => {
    socket.on('error', () => undefined);
    socket.once('data', () => {
      socket.write('S');
      new TLSSocket(socket, { isServer: true, ...certificate }).on('error', () => undefined);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as { port: number }).port };
}

describe('TLS (issue 20)', () => {
  it('ssl: true against a server whose CA Node does not know: the error names the RDS CA bundle and where to put it', async () => {
    const { server, port } = await tlsOnlyServer(privateCaCertificate());
    const db = await DbService.create({
      name: 'tls-unknown-ca',
      host: '127.0.0.1',
      port,
      user: 'app',
      password: 'tls-spec-pw',
      ssl: true,
      connectionTimeout: '3s',
    });
    try {
      const error = (await db.query('SELECT 1').catch((thrown: unknown) => thrown)) as DatabaseConnectionError;
      expect(error).toBeInstanceOf(DatabaseConnectionError);
      expect(error.code).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
      expect(error.message).toMatch(
        /ssl: true .*lacks the RDS CA.*global-bundle\.pem.*sslrootcert=\/path\/global-bundle\.pem.*ssl: \{ ca:/,
      );
    } finally {
      await db.onApplicationShutdown();
      server.close();
    }
  });

  describe('a warning at start when connections would be plaintext and nobody asked for it', () => {
    const log = captureNestLog();
    afterAll(() => log.restore());

    it.each([
      ['a remote host, no sslmode', { dsn: 'postgresql://app:tls-spec-pw@db.example.invalid:5432/app' }, true],
      [
        'a remote host, ssl: false',
        { host: 'db.example.invalid', user: 'app', password: 'tls-spec-pw', ssl: false },
        false,
      ],
      [
        'a remote host, sslmode=disable',
        { dsn: 'postgresql://app:tls-spec-pw@db.example.invalid:5432/app?sslmode=disable' },
        false,
      ],
      [
        'a remote host, sslmode=verify-full',
        { dsn: 'postgresql://app:tls-spec-pw@db.example.invalid:5432/app?sslmode=verify-full' },
        false,
      ],
      ['127.0.0.1, no sslmode', { dsn: 'postgresql://app:tls-spec-pw@127.0.0.1:5432/app' }, false],
    ])('%s', async (name, options, warned) => {
      const connection = `plaintext-${name.replace(/\W+/g, '-')}`;
      // No connection opens at start: the warning is about the options alone.
      const db = await DbService.create({ name: connection, ...options });
      await db.onApplicationShutdown();
      const warnings = log.lines.filter(
        (line) => line.level === 'warn' && line.context === `nestjs-rotating-pg:${connection}`,
      );
      expect(warnings.map((line) => line.message)).toEqual(
        warned
          ? [
              expect.stringMatching(
                /^connections to db\.example\.invalid are not encrypted .*sslmode=verify-full with sslrootcert .*or write sslmode=disable if plaintext is meant/,
              ),
            ]
          : [],
      );
      expect(JSON.stringify(warnings)).not.toContain('tls-spec-pw');
    });
  });
});

import { JWT } from 'google-auth-library';
import {
  CLOUD_SQL_LOGIN_SCOPE,
  GoogleOAuthEmulator,
  type PostgresTokenFront,
  type ServiceAccountKey,
  startTestPostgres,
  type TestCertificate,
  testCertificate,
  type TestPostgres,
} from '../../src/testing/index.js';
import { createTestRole, type TestRole } from './roles.js';

/** A test PostgreSQL behind a Cloud SQL IAM front whose tokens come from a Google OAuth emulator. */
export interface CloudSqlIamEndpoint {
  server: TestPostgres;
  /** The database role of the service account: its email without `.gserviceaccount.com`. */
  role: TestRole;
  /** The role's database. */
  database: string;
  certificate: TestCertificate;
  google: GoogleOAuthEmulator;
  /** The service account's key file content (its `token_uri` the emulator). */
  key: ServiceAccountKey;
  /** This test's front: a new one per test, so its counters start at zero. */
  front: PostgresTokenFront;
  endpoint: { host: string; port: number };
}

/**
 * Registers the hooks of a suite that logs in through the Cloud SQL IAM emulator: a server, a
 * service account and its role (named as Cloud SQL names IAM users: the email without
 * `.gserviceaccount.com`, a quoted identifier) for the suite; a front (TLS required) per test.
 */
export function useCloudSqlIamEndpoint(prefix: string, options: { tokenLifetimeMs: number }): CloudSqlIamEndpoint {
  const context = {} as CloudSqlIamEndpoint;
  beforeAll(async () => {
    context.certificate = testCertificate();
    context.server = await startTestPostgres();
    const backing = await createTestRole(context.server, prefix);
    context.google = new GoogleOAuthEmulator({ tokenLifetimeMs: options.tokenLifetimeMs });
    await context.google.start();
    context.key = context.google.addServiceAccount(backing.username.replace(/_/g, '-'));
    const iamUser = context.key.client_email.replace(/\.gserviceaccount\.com$/, '');
    await context.server.admin(`ALTER ROLE ${backing.username} RENAME TO "${iamUser}"`);
    context.role = { ...backing, username: iamUser };
    context.database = backing.username;
  });
  beforeEach(async () => {
    context.google.unavailable = false;
    context.front = context.google.cloudSqlFront({
      backend: { host: context.server.host, port: context.server.port },
      backendPassword: (user) => (user === context.role.username ? context.role.password : undefined),
      tls: context.certificate,
      requireTls: true,
    });
    context.endpoint = await context.front.start();
  });
  afterEach(() => context.front?.stop());
  afterAll(async () => {
    await context.google?.stop();
    await context.server?.stop();
  });
  return context;
}

/**
 * google-auth-library's own JWT client for `key` (the constructor its deprecation notices point
 * to), its requests to Google's token endpoint routed to the emulator: the library posts
 * service-account assertions there whatever `token_uri` says.
 */
export function googleAuthFor(
  context: Pick<CloudSqlIamEndpoint, 'google'>,
  key: ServiceAccountKey,
  scopes = [CLOUD_SQL_LOGIN_SCOPE],
): JWT {
  return new JWT({
    email: key.client_email,
    key: key.private_key,
    keyId: key.private_key_id,
    scopes,
    transporterOptions: { fetchImplementation: context.google.fetch },
  });
}

/** Options of a pool logging in through the front over verified TLS; `overrides` win. */
export function cloudSqlDbOptions(context: CloudSqlIamEndpoint, overrides: object = {}) {
  return {
    host: context.endpoint.host,
    port: context.endpoint.port,
    database: context.database,
    user: context.role.username,
    ssl: { ca: context.certificate.cert },
    maxOpenConnections: 8,
    maxIdleConnections: 4,
    connectionMaxLifetime: '1s',
    ...overrides,
  };
}

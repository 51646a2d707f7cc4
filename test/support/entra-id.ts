import { ClientSecretCredential } from '@azure/identity';
import {
  type EntraIdClient,
  EntraIdEmulator,
  type PostgresTokenFront,
  startTestPostgres,
  type TestCertificate,
  testCertificate,
  type TestPostgres,
} from '../../src/testing/index.js';
import { createTestRole, type TestRole } from './roles.js';

/** A test PostgreSQL behind an Azure Database for PostgreSQL front whose tokens come from an Entra ID emulator. */
export interface EntraIdEndpoint {
  server: TestPostgres;
  /** The role the application logs in as; `client` is mapped to it. */
  role: TestRole;
  certificate: TestCertificate;
  entra: EntraIdEmulator;
  /** The application registration whose tokens log in as `role`. */
  client: EntraIdClient;
  /** This test's front: a new one per test, so its counters start at zero. */
  front: PostgresTokenFront;
  endpoint: { host: string; port: number };
  /** How far the emulator's clock (which the front checks expiry on) is ahead of ours; reset before each test. */
  skewMs: number;
}

/**
 * Registers the hooks of a suite that logs in through the Entra ID emulator: a server, a role and
 * an emulated tenant (HTTPS, a self-signed certificate) for the suite; a front (TLS required, the
 * same certificate) for each test.
 */
export function useEntraIdEndpoint(prefix: string, options: { tokenLifetimeMs: number }): EntraIdEndpoint {
  const context = {} as EntraIdEndpoint;
  beforeAll(async () => {
    context.certificate = testCertificate();
    context.server = await startTestPostgres();
    context.role = await createTestRole(context.server, prefix);
    context.skewMs = 0;
    context.entra = new EntraIdEmulator({
      tls: context.certificate,
      tokenLifetimeMs: options.tokenLifetimeMs,
      now: () => Date.now() + context.skewMs,
    });
    await context.entra.start();
    context.client = context.entra.addClient(context.role.username);
  });
  beforeEach(async () => {
    context.entra.unavailable = false;
    context.skewMs = 0;
    context.front = context.entra.postgresFront({
      backend: { host: context.server.host, port: context.server.port },
      backendPassword: (user) => (user === context.role.username ? context.role.password : undefined),
      tls: context.certificate,
      requireTls: true,
    });
    context.endpoint = await context.front.start();
  });
  afterEach(() => context.front?.stop());
  afterAll(async () => {
    await context.entra?.stop();
    await context.server?.stop();
  });
  return context;
}

/**
 * `@azure/identity`'s own ClientSecretCredential against the emulator (its certificate trusted), for
 * `client` or any registration; `secret` overrides the client secret. No retries of its HTTP
 * pipeline, so that an outage fails a fetch at once instead of after its backoff.
 */
export function entraCredential(
  context: Pick<EntraIdEndpoint, 'entra' | 'certificate'>,
  client: Pick<EntraIdClient, 'clientId' | 'clientSecret'>,
  secret = client.clientSecret,
): ClientSecretCredential {
  return new ClientSecretCredential(context.entra.tenantId, client.clientId, secret, {
    authorityHost: context.entra.authorityHost,
    disableInstanceDiscovery: true,
    tlsOptions: { ca: context.certificate.cert },
    retryOptions: { maxRetries: 0 },
  });
}

/** Options of a pool logging in through the front as the role over verified TLS; `overrides` win. */
export function entraDbOptions(context: EntraIdEndpoint, overrides: object = {}) {
  return {
    host: context.endpoint.host,
    port: context.endpoint.port,
    database: context.role.username,
    user: context.role.username,
    ssl: { ca: context.certificate.cert },
    maxOpenConnections: 8,
    maxIdleConnections: 4,
    connectionMaxLifetime: '1s',
    ...overrides,
  };
}

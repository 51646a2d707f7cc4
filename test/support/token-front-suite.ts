import {
  type PostgresTokenFront,
  type PostgresTokenFrontOptions,
  startTestPostgres,
  type TestCertificate,
  testCertificate,
  type TestPostgres,
} from '../../src/testing/index.js';
import type { TestRole } from './roles.js';

/** A test PostgreSQL behind a front that takes access tokens as passwords, over TLS. */
export interface TokenFrontSuite {
  server: TestPostgres;
  /** The role the application logs in as. */
  role: TestRole;
  /** The role's database. */
  database: string;
  certificate: TestCertificate;
  /** This test's front: a new one per test, so its counters start at zero. */
  front: PostgresTokenFront;
  endpoint: { host: string; port: number };
}

type FrontOptions = Omit<PostgresTokenFrontOptions, 'verify' | 'refusal' | 'feature'>;

/** What differs between token sources: their emulator, and how a test's front is made from it. */
export interface TokenEmulatorHooks<Context extends TokenFrontSuite> {
  /** Once per suite, after the server and the certificate: starts the emulator and sets `role` and `database`. */
  start(context: Context): Promise<void>;
  /** Before each test: the emulator back up (and its clock reset), then a front from it. */
  frontFor(context: Context, options: FrontOptions): PostgresTokenFront;
  stop(context: Context): Promise<void>;
}

/**
 * Registers the hooks of a suite that logs in through a token source's emulator: a server, a
 * self-signed certificate and the emulator for the suite; a front (TLS required, the same
 * certificate, the role's password towards the server) for each test.
 */
export function useTokenFrontSuite<Context extends TokenFrontSuite>(hooks: TokenEmulatorHooks<Context>): Context {
  const context = {} as Context;
  beforeAll(async () => {
    context.certificate = testCertificate();
    context.server = await startTestPostgres();
    await hooks.start(context);
  });
  beforeEach(async () => {
    context.front = hooks.frontFor(context, {
      backend: { host: context.server.host, port: context.server.port },
      backendPassword: (user) => (user === context.role.username ? context.role.password : undefined),
      tls: context.certificate,
      requireTls: true,
    });
    context.endpoint = await context.front.start();
  });
  afterEach(() => context.front?.stop());
  afterAll(async () => {
    await hooks.stop(context);
    await context.server?.stop();
  });
  return context;
}

/** Options of a pool logging in through the suite's front as its role over verified TLS; `overrides` win. */
export function tokenFrontDbOptions(context: TokenFrontSuite, overrides: object = {}) {
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

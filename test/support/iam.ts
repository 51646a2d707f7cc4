import type { CredentialProvider, Credentials } from '../../src/index.js';
import { RdsIamCredentialProvider } from '../../src/index.js';
import { RdsIamProxy, type RdsIamProxyOptions, startTestPostgres, type TestPostgres } from '../../src/testing/index.js';
import { createTestRole, type TestRole } from './roles.js';

/**
 * The RDS IAM emulator in front of `server`, letting `role` in (with its database password behind
 * the proxy) for tokens signed with `options.credentials` for us-east-1.
 */
export function iamProxyFor(
  server: { host: string; port: number },
  role: Pick<TestRole, 'username' | 'password'>,
  options: Omit<RdsIamProxyOptions, 'backend' | 'backendPassword' | 'region'>,
): RdsIamProxy {
  return new RdsIamProxy({
    backend: { host: server.host, port: server.port },
    backendPassword: (user) => (user === role.username ? role.password : undefined),
    region: 'us-east-1',
    ...options,
  });
}

export interface AwsTestCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

/** A test PostgreSQL with one role, reached through an RDS IAM emulator started afresh for each test. */
export interface IamEndpoint {
  server: TestPostgres;
  role: TestRole;
  /** This test's proxy: a new one per test, so its counters and token set start empty. */
  proxy: RdsIamProxy;
  endpoint: { host: string; port: number };
}

/**
 * Registers the hooks of a suite that logs in through the RDS IAM emulator: AWS credentials in the
 * environment (the SDK's default provider chain reads them, as it would on a laptop with a profile),
 * a server and a role for the suite, a proxy for each test. Read the fields inside tests and hooks.
 */
export function useIamEndpoint(
  prefix: string,
  options: { credentials: AwsTestCredentials; tokenLifetimeMs: number },
): IamEndpoint {
  const context = {} as IamEndpoint;
  beforeAll(async () => {
    process.env.AWS_ACCESS_KEY_ID = options.credentials.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = options.credentials.secretAccessKey;
    context.server = await startTestPostgres();
    context.role = await createTestRole(context.server, prefix);
  });
  beforeEach(async () => {
    context.proxy = iamProxyFor(context.server, context.role, options);
    context.endpoint = await context.proxy.start();
  });
  afterEach(() => context.proxy?.stop());
  afterAll(() => context.server?.stop());
  return context;
}

/** Signs tokens for the proxy's endpoint as the role, AWS credentials from the default chain unless given. */
export function tokenSigner(iam: IamEndpoint, credentials?: AwsTestCredentials): RdsIamCredentialProvider {
  return new RdsIamCredentialProvider({
    region: 'us-east-1',
    username: iam.role.username,
    signingHost: iam.endpoint.host,
    signingPort: iam.endpoint.port,
    tokenTtlMs: 60_000,
    credentials,
  });
}

/**
 * The bug of the Go service's credential store (go-db-credential-refresh): the first token signed is
 * kept with no expiry. With `reSignWhenRefused` it signs a new one when told the held one was
 * refused (the module's recovery); without, it answers every fetch with the first token.
 */
export function tokenCachedForever(
  signer: RdsIamCredentialProvider,
  { reSignWhenRefused }: { reSignWhenRefused: boolean },
): CredentialProvider & { readonly signed: number } {
  let cached: Credentials | undefined;
  let signed = 0;
  return {
    name: 'caches-forever',
    get signed() {
      return signed;
    },
    async fetch({ rejected }) {
      if (!cached || (reSignWhenRefused && rejected)) {
        signed++;
        const { username, password } = await signer.fetch();
        cached = { username, password };
      }
      return cached;
    },
  };
}

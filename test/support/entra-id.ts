import { ClientSecretCredential } from '@azure/identity';
import { type EntraIdClient, EntraIdEmulator } from '../../src/testing/index.js';
import { createTestRole } from './roles.js';
import { type TokenFrontSuite, useTokenFrontSuite } from './token-front-suite.js';

/** A test PostgreSQL behind an Azure Database for PostgreSQL front whose tokens come from an Entra ID emulator. */
export interface EntraIdEndpoint extends TokenFrontSuite {
  entra: EntraIdEmulator;
  /** The application registration whose tokens log in as `role`. */
  client: EntraIdClient;
  /** How far the emulator's clock (which the front checks expiry on) is ahead of ours; reset before each test. */
  skewMs: number;
}

/**
 * Registers the hooks of a suite that logs in through the Entra ID emulator: a server, a role and
 * an emulated tenant (HTTPS, a self-signed certificate) for the suite; a front (TLS required, the
 * same certificate) for each test.
 */
export function useEntraIdEndpoint(prefix: string, options: { tokenLifetimeMs: number }): EntraIdEndpoint {
  return useTokenFrontSuite<EntraIdEndpoint>({
    async start(context) {
      context.role = await createTestRole(context.server, prefix);
      context.database = context.role.username;
      context.skewMs = 0;
      context.entra = new EntraIdEmulator({
        tls: context.certificate,
        tokenLifetimeMs: options.tokenLifetimeMs,
        now: () => Date.now() + context.skewMs,
      });
      await context.entra.start();
      context.client = context.entra.addClient(context.role.username);
    },
    frontFor(context, frontOptions) {
      context.entra.unavailable = false;
      context.skewMs = 0;
      return context.entra.postgresFront(frontOptions);
    },
    stop: async (context) => context.entra?.stop(),
  });
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

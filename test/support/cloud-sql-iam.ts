import { JWT } from 'google-auth-library';
import { CLOUD_SQL_LOGIN_SCOPE, GoogleOAuthEmulator, type ServiceAccountKey } from '../../src/testing/index.js';
import { createTestRole } from './roles.js';
import { type TokenFrontSuite, useTokenFrontSuite } from './token-front-suite.js';

/** A test PostgreSQL behind a Cloud SQL IAM front whose tokens come from a Google OAuth emulator. */
export interface CloudSqlIamEndpoint extends TokenFrontSuite {
  google: GoogleOAuthEmulator;
  /** The service account's key file content (its `token_uri` the emulator). */
  key: ServiceAccountKey;
}

/**
 * Registers the hooks of a suite that logs in through the Cloud SQL IAM emulator: a server, a
 * service account and its role (named as Cloud SQL names IAM users: the email without
 * `.gserviceaccount.com`, a quoted identifier) for the suite; a front (TLS required) per test.
 */
export function useCloudSqlIamEndpoint(prefix: string, options: { tokenLifetimeMs: number }): CloudSqlIamEndpoint {
  return useTokenFrontSuite<CloudSqlIamEndpoint>({
    async start(context) {
      const backing = await createTestRole(context.server, prefix);
      context.google = new GoogleOAuthEmulator({ tokenLifetimeMs: options.tokenLifetimeMs });
      await context.google.start();
      context.key = context.google.addServiceAccount(backing.username.replace(/_/g, '-'));
      const iamUser = context.key.client_email.replace(/\.gserviceaccount\.com$/, '');
      await context.server.admin(`ALTER ROLE ${backing.username} RENAME TO "${iamUser}"`);
      context.role = { ...backing, username: iamUser };
      context.database = backing.username;
    },
    frontFor(context, frontOptions) {
      context.google.unavailable = false;
      return context.google.cloudSqlFront(frontOptions);
    },
    stop: async (context) => context.google?.stop(),
  });
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

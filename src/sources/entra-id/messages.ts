import { reusedUntil } from '../messages.js';

/** The Entra ID source's sentences: one catalogue per area (see errors/messages.ts for the rule). Never a token. */
export const entraIdMessages = {
  enabledRequired: 'true to log in with Microsoft Entra ID access tokens (false ignores the block)',
  notATokenCredential:
    'a TokenCredential of @azure/identity (an object with getToken(scopes)), e.g. new ManagedIdentityCredential()',
  scopeNotDefault: (value: string) =>
    `"${value}" is not a ".default" scope; Azure Database for PostgreSQL wants "https://ossrdbms-aad.database.windows.net/.default" (or its sovereign cloud's)`,
  entraNeedsTls: (allowKey: string) =>
    `Azure Database for PostgreSQL accepts connections over TLS only: use sslmode=verify-full in the dsn or set ssl; for a local emulator set ${allowKey}: true`,
  entraNeedsVerifiedTls: (allowKey: string) =>
    `TLS without verifying the server (sslmode=no-verify or rejectUnauthorized: false) would hand an Entra ID access token, valid for about an hour, to anyone in the middle: use sslmode=verify-full, or set ${allowKey}: true to accept that risk`,
  noToken: 'the TokenCredential returned no access token for Azure Database for PostgreSQL',
  noUsernameInToken: (dbUserKey: string) =>
    `no database user: the Entra ID access token names none (no xms_mirid of a user-assigned identity, upn, preferred_username or unique_name claim); set ${dbUserKey} or put the user in the dsn (the role name created with pgaadauth_create_principal)`,
  describeEntraId: (username: string, scope: string, expiresAt?: string) =>
    `obtained a Microsoft Entra ID access token (scope ${scope}) for ${username}${reusedUntil(expiresAt)}`,
  fix: 'Check the Azure identity @azure/identity finds (environment, workload identity, managed identity, az login), that @azure/identity is installed, and that the database role is mapped to that identity (pgaadauth_create_principal).',
  identityMissing: (name: string) =>
    `entraIdAuth needs the ${name} package, an optional peer of nestjs-rotating-pg: npm install ${name}`,
} as const;

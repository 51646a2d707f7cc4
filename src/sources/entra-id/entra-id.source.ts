import { z } from 'zod';
import { isRecord, stringOr } from '../../common/option-checker.js';
import { messages } from '../../errors/messages.js';
import type { CredentialSource } from '../credential-source.js';
import { sourceMessages } from '../messages.js';
import { DEFAULT_ENTRA_ID_SCOPE } from './entra-id.defaults.js';
import { EntraIdCredentialProvider, type EntraTokenCredential } from './entra-id.provider.js';
import { entraIdMessages } from './messages.js';

/**
 * Log in to Azure Database for PostgreSQL with Microsoft Entra ID access tokens as passwords,
 * obtained from a `TokenCredential` of `@azure/identity` (an optional peer:
 * `npm install @azure/identity`). Tokens live 60 to 90 minutes; each is used for new connections
 * until shortly before it expires, and established sessions outlive it.
 */
export interface EntraIdAuthOptions {
  /** Turns Entra ID auth on. A block with `enabled: false` is ignored. */
  enabled: boolean;
  /**
   * Database role to log in as (the name given to `pgaadauth_create_principal`). Default: the user
   * in `dsn` / `user`, else the one the token names (a managed identity's name, or the `upn`,
   * `preferred_username` or `unique_name` claim).
   */
  dbUser?: string;
  /**
   * The credential tokens come from, e.g. `new ManagedIdentityCredential()` (in code only, not in a
   * YAML file). Default: `new DefaultAzureCredential()` with `tenantId` and `managedIdentityClientId`.
   */
  credential?: EntraTokenCredential;
  /** For the default credential: the Entra ID tenant (directory) id. Default: the credential's own choice. */
  tenantId?: string;
  /** For the default credential: a user-assigned managed identity's client id. Default: the system-assigned one. */
  managedIdentityClientId?: string;
  /**
   * Scope tokens are requested for. Default `'https://ossrdbms-aad.database.windows.net/.default'`;
   * sovereign clouds have their own.
   */
  scope?: string;
  /** Azure Database for PostgreSQL requires TLS; set true only for a local emulator. Default `false`. */
  allowPlaintext?: boolean;
  /**
   * Accept TLS without verifying the server (`sslmode=no-verify`, `ssl: { rejectUnauthorized: false }`).
   * Anyone in the middle then receives a token valid for about an hour, so it is refused unless
   * this is true. Default `false`.
   */
  allowUnverifiedTls?: boolean;
}

export interface EntraIdSourceOptions {
  /** Microsoft Entra ID access tokens (Azure Database for PostgreSQL) as the credential source. */
  entraIdAuth?: EntraIdAuthOptions;
}

export interface EntraIdSource {
  kind: 'entra-id';
  /** Undefined: taken from each token's claims. */
  username?: string;
  scope: string;
  credential?: EntraTokenCredential;
  tenantId?: string;
  managedIdentityClientId?: string;
  dbUserKey: string;
}

const tokenCredential = z.custom<EntraTokenCredential>(
  (value) => typeof (value as EntraTokenCredential | undefined)?.getToken === 'function',
  { error: messages.wrongType(entraIdMessages.notATokenCredential) },
);

const entraIdAuthSchema = z.strictObject({
  enabled: z.boolean({ error: sourceMessages.required(entraIdMessages.enabledRequired) }),
  dbUser: z.string().optional(),
  credential: tokenCredential.optional(),
  tenantId: z.string().optional(),
  managedIdentityClientId: z.string().optional(),
  scope: z.string().optional(),
  allowPlaintext: z.boolean().optional(),
  allowUnverifiedTls: z.boolean().optional(),
});

/** Microsoft Entra ID access tokens for Azure Database for PostgreSQL, from `@azure/identity`. */
export const entraIdSource = {
  kind: 'entra-id',
  optionKey: ['entraIdAuth'],
  shape: { entraIdAuth: entraIdAuthSchema.optional() },
  refusesPlaintext: true,
  chosenBy: (raw) => (isRecord(raw.entraIdAuth) && raw.entraIdAuth.enabled === true ? ['entraIdAuth'] : undefined),
  resolve(raw, facts, check) {
    const entra = raw.entraIdAuth as Record<string, unknown>;
    const scope = stringOr(entra.scope, DEFAULT_ENTRA_ID_SCOPE);
    if (!scope.endsWith('/.default')) check.fail(['entraIdAuth', 'scope'], entraIdMessages.scopeNotDefault(scope));
    // A refused dsn may well have asked for TLS.
    if (!facts.ssl && entra.allowPlaintext !== true && !facts.dsnRefused) {
      check.fail(['entraIdAuth'], entraIdMessages.entraNeedsTls(check.nameOf(['entraIdAuth', 'allowPlaintext'])));
    }
    if (isRecord(facts.ssl) && facts.ssl.rejectUnauthorized === false && entra.allowUnverifiedTls !== true) {
      check.fail(
        ['entraIdAuth'],
        entraIdMessages.entraNeedsVerifiedTls(check.nameOf(['entraIdAuth', 'allowUnverifiedTls'])),
      );
    }
    // No user is no error: the token's claims name one (or the first fetch says what to set).
    const username = stringOr(entra.dbUser, facts.user);
    return {
      kind: 'entra-id',
      username,
      scope,
      credential: entra.credential as EntraTokenCredential | undefined,
      tenantId: stringOr(entra.tenantId, undefined),
      managedIdentityClientId: stringOr(entra.managedIdentityClientId, undefined),
      dbUserKey: check.nameOf(['entraIdAuth', 'dbUser']),
    };
  },
  createProvider: (resolved) => new EntraIdCredentialProvider(resolved),
  describe: (resolved, credentials) =>
    entraIdMessages.describeEntraId(credentials.username, resolved.scope, credentials.expiresAt?.toISOString()),
  fix: entraIdMessages.fix,
} satisfies CredentialSource<EntraIdSource, EntraIdSourceOptions>;

import { z } from 'zod';
import type { Duration } from '../../common/duration.js';
import { durationSchema } from '../../common/duration.schema.js';
import { isRecord, stringOr } from '../../common/option-checker.js';
import type { CredentialSource } from '../credential-source.js';
import { sourceMessages } from '../messages.js';
import { DEFAULT_DSQL_EXPIRES_IN, DEFAULT_DSQL_TOKEN_TTL, DSQL_MAX_EXPIRES_IN_MS } from './dsql.defaults.js';
import { DsqlCredentialProvider, dsqlActionFor } from './dsql.provider.js';
import { dsqlMessages } from './messages.js';

/**
 * Sign Aurora DSQL auth tokens for new connections, with `@aws-sdk/dsql-signer` (an optional
 * peer: `npm install @aws-sdk/dsql-signer`). The role `admin` gets `DbConnectAdmin` tokens, any
 * other role `DbConnect` ones. Aurora DSQL ends every connection after 60 minutes; the
 * `connectionMaxLifetime` default (14m) recycles them well before.
 */
export interface DsqlAuthOptions {
  /** Turns Aurora DSQL auth on. A block with `enabled: false` is ignored. */
  enabled: boolean;
  /** AWS region of the cluster, e.g. `'us-east-1'`. Required. */
  region: string;
  /** Database role to sign for (`admin` or a role mapped to an IAM identity). Default: the user in `dsn` / `user`. */
  dbUser?: string;
  /** How long one signed token is reused for new connections. Default `'10m'`; must be below `expiresIn`. */
  tokenTtl?: Duration;
  /** How long a token is valid as signed (its X-Amz-Expires). Default `'15m'`; a week (`'168h'`) at most. */
  expiresIn?: Duration;
  /**
   * Cluster endpoint to sign for when it differs from the host connected to (e.g. through a tunnel).
   * Default: the connection host.
   */
  signingHost?: string;
  /** Aurora DSQL requires TLS; set true only for a local emulator. Default `false`. */
  allowPlaintext?: boolean;
  /**
   * Accept TLS without verifying the server (`sslmode=no-verify`, `ssl: { rejectUnauthorized: false }`).
   * Anyone in the middle then receives a valid token, so it is refused unless this is true.
   * Default `false`.
   */
  allowUnverifiedTls?: boolean;
}

export interface DsqlSourceOptions {
  /** Aurora DSQL auth tokens as the credential source. */
  dsqlAuth?: DsqlAuthOptions;
}

export interface DsqlSource {
  kind: 'dsql';
  region: string;
  username: string;
  tokenTtlMs: number;
  expiresInMs: number;
  signingHost: string;
}

const REGION_REQUIRED = sourceMessages.required(dsqlMessages.regionRequired);

const dsqlAuthSchema = z.strictObject({
  enabled: z.boolean({ error: sourceMessages.required(dsqlMessages.enabledRequired) }),
  region: z.string({ error: REGION_REQUIRED }),
  dbUser: z.string().optional(),
  tokenTtl: durationSchema.optional(),
  expiresIn: durationSchema.optional(),
  signingHost: z.string().optional(),
  allowPlaintext: z.boolean().optional(),
  allowUnverifiedTls: z.boolean().optional(),
});

/** Aurora DSQL auth tokens, signed with the AWS SDK's credentials. */
export const dsqlSource = {
  kind: 'dsql',
  optionKey: ['dsqlAuth'],
  shape: { dsqlAuth: dsqlAuthSchema.optional() },
  refusesPlaintext: true,
  chosenBy: (raw) => (isRecord(raw.dsqlAuth) && raw.dsqlAuth.enabled === true ? ['dsqlAuth'] : undefined),
  resolve(raw, facts, check) {
    const dsql = raw.dsqlAuth as Record<string, unknown>;
    if (dsql.region === '') check.fail(['dsqlAuth', 'region'], REGION_REQUIRED);
    const expiresInMs = check.positiveDuration(['dsqlAuth', 'expiresIn'], DEFAULT_DSQL_EXPIRES_IN);
    if (expiresInMs !== undefined && expiresInMs > DSQL_MAX_EXPIRES_IN_MS) {
      check.fail(['dsqlAuth', 'expiresIn'], dsqlMessages.expiresInTooLong(dsql.expiresIn));
    }
    const tokenTtlMs = check.positiveDuration(['dsqlAuth', 'tokenTtl'], DEFAULT_DSQL_TOKEN_TTL);
    if (tokenTtlMs !== undefined && expiresInMs !== undefined && tokenTtlMs >= expiresInMs) {
      check.fail(
        ['dsqlAuth', 'tokenTtl'],
        dsqlMessages.tokenTtlNotBelowExpiresIn(
          dsql.tokenTtl ?? DEFAULT_DSQL_TOKEN_TTL,
          check.nameOf(['dsqlAuth', 'expiresIn']),
        ),
      );
    }
    // A refused dsn may well have asked for TLS.
    if (!facts.ssl && dsql.allowPlaintext !== true && !facts.dsnRefused) {
      check.fail(['dsqlAuth'], dsqlMessages.dsqlNeedsTls(check.nameOf(['dsqlAuth', 'allowPlaintext'])));
    }
    if (isRecord(facts.ssl) && facts.ssl.rejectUnauthorized === false && dsql.allowUnverifiedTls !== true) {
      check.fail(['dsqlAuth'], dsqlMessages.dsqlNeedsVerifiedTls(check.nameOf(['dsqlAuth', 'allowUnverifiedTls'])));
    }
    const username = stringOr(dsql.dbUser, facts.user);
    if (username === undefined) {
      // A refused dsn may well have named the user.
      if (!facts.dsnRefused)
        check.fail(
          ['dsqlAuth', 'dbUser'],
          sourceMessages.noUser([check.nameOf(['dsqlAuth', 'dbUser']), check.nameOf(['user'])]),
        );
      return undefined;
    }
    return {
      kind: 'dsql',
      region: String(dsql.region),
      username,
      tokenTtlMs: tokenTtlMs ?? 0,
      expiresInMs: expiresInMs ?? 0,
      signingHost: stringOr(dsql.signingHost, facts.host),
    };
  },
  createProvider: (resolved) => new DsqlCredentialProvider(resolved),
  describe: (resolved, credentials) =>
    dsqlMessages.describeDsql(
      credentials.username,
      dsqlActionFor(credentials.username),
      resolved.signingHost,
      resolved.region,
      credentials.expiresAt?.toISOString(),
    ),
  fix: dsqlMessages.fix,
} satisfies CredentialSource<DsqlSource, DsqlSourceOptions>;

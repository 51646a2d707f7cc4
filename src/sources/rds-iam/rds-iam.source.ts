import { z } from 'zod';
import type { Duration } from '../../common/duration.js';
import { durationSchema } from '../../common/duration.schema.js';
import { isRecord, numberOr, stringOr } from '../../common/option-checker.js';
import type { CredentialSource } from '../credential-source.js';
import { sourceMessages } from '../messages.js';
import { DEFAULT_IAM_TOKEN_TTL, IAM_TOKEN_VALIDITY_MS } from './rds-iam.defaults.js';
import { RdsIamCredentialProvider } from './rds-iam.provider.js';
import { rdsIamMessages } from './messages.js';

/** Sign RDS IAM auth tokens for new connections (the YAML file's `aws_iam_auth` block). */
export interface AwsIamAuthOptions {
  /** Turns IAM auth on. A block with `enabled: false` is ignored. */
  enabled: boolean;
  /** AWS region of the database, e.g. `'us-east-1'`. Required. */
  region: string;
  /** Database user to sign for. Default: the user in `dsn` / `user`. */
  dbUser?: string;
  /** How long one signed token is reused for new connections. Default `'10m'`; must be < 15m. */
  tokenTtl?: Duration;
  /**
   * Host to sign for when it differs from the one connected to (e.g. through a proxy). Default: the connection host.
   */
  signingHost?: string;
  /** Port to sign for. Default: the connection port. */
  signingPort?: number;
  /** RDS requires TLS for IAM logins; set true only for a local emulator. Default `false`. */
  allowPlaintext?: boolean;
  /**
   * Accept TLS without verifying the server (`sslmode=no-verify`, `ssl: { rejectUnauthorized: false }`).
   * Anyone in the middle then receives a token valid for 15 minutes, so it is refused unless this
   * is true. Give the RDS CA bundle instead (`sslmode=verify-full&sslrootcert=…`). Default `false`.
   */
  allowUnverifiedTls?: boolean;
}

export interface RdsIamSourceOptions {
  /** IAM auth tokens as the credential source. */
  awsIamAuth?: AwsIamAuthOptions;
}

export interface RdsIamSource {
  kind: 'aws-iam';
  region: string;
  username: string;
  tokenTtlMs: number;
  signingHost: string;
  signingPort: number;
}

const REGION_REQUIRED = sourceMessages.required(rdsIamMessages.regionRequired);

const awsIamAuthSchema = z.strictObject({
  enabled: z.boolean({ error: sourceMessages.required(rdsIamMessages.enabledRequired) }),
  region: z.string({ error: REGION_REQUIRED }),
  dbUser: z.string().optional(),
  tokenTtl: durationSchema.optional(),
  signingHost: z.string().optional(),
  signingPort: z.number().optional(),
  allowPlaintext: z.boolean().optional(),
  allowUnverifiedTls: z.boolean().optional(),
});

/** RDS IAM auth tokens, signed with the AWS SDK's credentials (the YAML file's `aws_iam_auth`). */
export const rdsIamSource = {
  kind: 'aws-iam',
  optionKey: ['awsIamAuth'],
  shape: { awsIamAuth: awsIamAuthSchema.optional() },
  refusesPlaintext: true,
  // A block with `enabled: false` is ignored, as in the YAML file.
  chosenBy: (raw) => (isRecord(raw.awsIamAuth) && raw.awsIamAuth.enabled === true ? ['awsIamAuth'] : undefined),
  resolve(raw, facts, check) {
    const iam = raw.awsIamAuth as Record<string, unknown>;
    if (iam.region === '') check.fail(['awsIamAuth', 'region'], REGION_REQUIRED);
    const tokenTtlMs = check.positiveDuration(['awsIamAuth', 'tokenTtl'], DEFAULT_IAM_TOKEN_TTL);
    if (tokenTtlMs !== undefined && tokenTtlMs >= IAM_TOKEN_VALIDITY_MS) {
      check.fail(['awsIamAuth', 'tokenTtl'], rdsIamMessages.tokenTtlTooLong(iam.tokenTtl));
    }
    // A refused dsn may well have asked for TLS.
    if (!facts.ssl && iam.allowPlaintext !== true && !facts.dsnRefused) {
      check.fail(['awsIamAuth'], rdsIamMessages.iamNeedsTls(check.nameOf(['awsIamAuth', 'allowPlaintext'])));
    }
    if (isRecord(facts.ssl) && facts.ssl.rejectUnauthorized === false && iam.allowUnverifiedTls !== true) {
      check.fail(
        ['awsIamAuth'],
        rdsIamMessages.iamNeedsVerifiedTls(check.nameOf(['awsIamAuth', 'allowUnverifiedTls'])),
      );
    }
    if (iam.signingPort !== undefined) check.port(['awsIamAuth', 'signingPort']);
    const username = stringOr(iam.dbUser, facts.user);
    if (username === undefined) {
      // A refused dsn may well have named the user.
      if (!facts.dsnRefused)
        check.fail(
          ['awsIamAuth', 'dbUser'],
          sourceMessages.noUser([check.nameOf(['awsIamAuth', 'dbUser']), check.nameOf(['user'])]),
        );
      return undefined;
    }
    return {
      kind: 'aws-iam',
      region: String(iam.region),
      username,
      tokenTtlMs: tokenTtlMs ?? 0,
      signingHost: stringOr(iam.signingHost, facts.host),
      signingPort: numberOr(iam.signingPort, facts.port),
    };
  },
  createProvider: (resolved) => new RdsIamCredentialProvider(resolved),
  describe: (resolved, credentials) =>
    rdsIamMessages.describeIam(
      credentials.username,
      resolved.signingHost,
      resolved.signingPort,
      resolved.region,
      credentials.expiresAt?.toISOString(),
    ),
  fix: rdsIamMessages.fix,
} satisfies CredentialSource<RdsIamSource, RdsIamSourceOptions>;

import { z } from 'zod';
import { isRecord, stringOr } from '../../common/option-checker.js';
import { messages } from '../../errors/messages.js';
import type { CredentialSource } from '../credential-source.js';
import { sourceMessages } from '../messages.js';
import {
  CloudSqlIamCredentialProvider,
  type GoogleAuthLike,
  type GoogleServiceAccountKey,
} from './cloud-sql-iam.provider.js';
import { cloudSqlIamMessages } from './messages.js';

/**
 * Log in to Cloud SQL for PostgreSQL with IAM database authentication: a Google OAuth 2.0 access
 * token (scope `sqlservice.login`) from `google-auth-library` (an optional peer:
 * `npm install google-auth-library`) is the password of the IAM database user. Tokens live an
 * hour; each is used for new connections until shortly before it expires.
 */
export interface CloudSqlIamAuthOptions {
  /** Turns Cloud SQL IAM auth on. A block with `enabled: false` is ignored. */
  enabled: boolean;
  /**
   * IAM database user: a user's email, or a service account's email without `.gserviceaccount.com`.
   * Default: the user in `dsn` / `user`, else the service account of the Google credentials.
   */
  dbUser?: string;
  /** Path of a service-account key file. Default: Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS, the metadata server, gcloud). */
  keyFile?: string;
  /** A service-account key as its JSON file holds it (in code; from a secret store, say). Default: none. */
  credentials?: GoogleServiceAccountKey;
  /**
   * The `GoogleAuth` tokens come from, built by the application (impersonation, custom transport;
   * in code only, not in a YAML file). Default: `new GoogleAuth({ scopes: [sqlservice.login], keyFile, credentials })`.
   */
  auth?: GoogleAuthLike;
  /**
   * Cloud SQL IAM logins need TLS; set true for the Cloud SQL Auth Proxy on localhost (it encrypts
   * the way to the instance) or a local emulator. Default `false`.
   */
  allowPlaintext?: boolean;
  /**
   * Accept TLS without verifying the server (`sslmode=no-verify`, `ssl: { rejectUnauthorized: false }`).
   * Anyone in the middle then receives an access token valid for an hour, so it is refused unless
   * this is true. Default `false`.
   */
  allowUnverifiedTls?: boolean;
}

export interface CloudSqlIamSourceOptions {
  /** Google OAuth 2.0 access tokens (Cloud SQL IAM database authentication) as the credential source. */
  cloudSqlIamAuth?: CloudSqlIamAuthOptions;
}

export interface CloudSqlIamSource {
  kind: 'cloud-sql-iam';
  /** Undefined: the service account of the Google credentials. */
  username?: string;
  keyFile?: string;
  credentials?: GoogleServiceAccountKey;
  auth?: GoogleAuthLike;
  dbUserKey: string;
}

const googleAuth = z.custom<GoogleAuthLike>(
  (value) =>
    typeof (value as GoogleAuthLike | undefined)?.getClient === 'function' &&
    typeof (value as GoogleAuthLike).getCredentials === 'function',
  { error: messages.wrongType(cloudSqlIamMessages.notAGoogleAuth) },
);

const serviceAccountKey = z.custom<GoogleServiceAccountKey>(
  (value) => isRecord(value) && typeof value.client_email === 'string' && typeof value.private_key === 'string',
  { error: messages.wrongType(cloudSqlIamMessages.notAKey) },
);

const cloudSqlIamAuthSchema = z.strictObject({
  enabled: z.boolean({ error: sourceMessages.required(cloudSqlIamMessages.enabledRequired) }),
  dbUser: z.string().optional(),
  keyFile: z.string().optional(),
  credentials: serviceAccountKey.optional(),
  auth: googleAuth.optional(),
  allowPlaintext: z.boolean().optional(),
  allowUnverifiedTls: z.boolean().optional(),
});

/** Google OAuth 2.0 access tokens for Cloud SQL IAM database authentication, from `google-auth-library`. */
export const cloudSqlIamSource = {
  kind: 'cloud-sql-iam',
  optionKey: ['cloudSqlIamAuth'],
  shape: { cloudSqlIamAuth: cloudSqlIamAuthSchema.optional() },
  refusesPlaintext: true,
  chosenBy: (raw) =>
    isRecord(raw.cloudSqlIamAuth) && raw.cloudSqlIamAuth.enabled === true ? ['cloudSqlIamAuth'] : undefined,
  resolve(raw, facts, check) {
    const block = raw.cloudSqlIamAuth as Record<string, unknown>;
    const given = (['keyFile', 'credentials', 'auth'] as const).filter((key) => block[key] !== undefined);
    if (given.length > 1) {
      check.fail(
        ['cloudSqlIamAuth'],
        cloudSqlIamMessages.keyFileAndCredentials(
          check.nameOf(['cloudSqlIamAuth', 'keyFile']),
          check.nameOf(['cloudSqlIamAuth', 'credentials']),
          check.nameOf(['cloudSqlIamAuth', 'auth']),
        ),
      );
    }
    // A refused dsn may well have asked for TLS.
    if (!facts.ssl && block.allowPlaintext !== true && !facts.dsnRefused) {
      check.fail(
        ['cloudSqlIamAuth'],
        cloudSqlIamMessages.cloudSqlNeedsTls(check.nameOf(['cloudSqlIamAuth', 'allowPlaintext'])),
      );
    }
    if (isRecord(facts.ssl) && facts.ssl.rejectUnauthorized === false && block.allowUnverifiedTls !== true) {
      check.fail(
        ['cloudSqlIamAuth'],
        cloudSqlIamMessages.cloudSqlNeedsVerifiedTls(check.nameOf(['cloudSqlIamAuth', 'allowUnverifiedTls'])),
      );
    }
    return {
      kind: 'cloud-sql-iam',
      // No user is no error: the service account names one (or the first fetch says what to set).
      username: stringOr(block.dbUser, facts.user),
      keyFile: stringOr(block.keyFile, undefined),
      credentials: block.credentials as GoogleServiceAccountKey | undefined,
      auth: block.auth as GoogleAuthLike | undefined,
      dbUserKey: check.nameOf(['cloudSqlIamAuth', 'dbUser']),
    };
  },
  createProvider: (resolved) => new CloudSqlIamCredentialProvider(resolved),
  describe: (_resolved, credentials) =>
    cloudSqlIamMessages.describeCloudSqlIam(credentials.username, credentials.expiresAt?.toISOString()),
  fix: cloudSqlIamMessages.fix,
} satisfies CredentialSource<CloudSqlIamSource, CloudSqlIamSourceOptions>;

import { z } from 'zod';
import { isRecord, stringOr } from '../../common/option-checker.js';
import { messages } from '../../errors/messages.js';
import type { CredentialSource } from '../credential-source.js';
import { sourceMessages } from '../messages.js';
import {
  CloudSqlIamCredentialProvider,
  type GoogleAuthClientLike,
  type GoogleAuthLike,
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
  /**
   * Where tokens come from, built by the application: a `GoogleAuth`, or an auth client such as
   * `new JWT({ email, key, scopes })` or `new Impersonated(…)` (in code only, not in a YAML file). Default:
   * `new GoogleAuth({ scopes: ['https://www.googleapis.com/auth/sqlservice.login'] })`, i.e. Application
   * Default Credentials (GOOGLE_APPLICATION_CREDENTIALS, the metadata server, gcloud).
   */
  auth?: GoogleAuthLike | GoogleAuthClientLike;
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
  auth?: GoogleAuthLike | GoogleAuthClientLike;
  dbUserKey: string;
}

const googleAuth = z.custom<GoogleAuthLike | GoogleAuthClientLike>(
  (value) =>
    (typeof (value as GoogleAuthLike | undefined)?.getClient === 'function' &&
      typeof (value as GoogleAuthLike).getCredentials === 'function') ||
    typeof (value as GoogleAuthClientLike | undefined)?.getAccessToken === 'function',
  { error: messages.wrongType(cloudSqlIamMessages.notAGoogleAuth) },
);

const cloudSqlIamAuthSchema = z.strictObject({
  enabled: z.boolean({ error: sourceMessages.required(cloudSqlIamMessages.enabledRequired) }),
  dbUser: z.string().optional(),
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
      auth: block.auth as GoogleAuthLike | GoogleAuthClientLike | undefined,
      dbUserKey: check.nameOf(['cloudSqlIamAuth', 'dbUser']),
    };
  },
  createProvider: (resolved) => new CloudSqlIamCredentialProvider(resolved),
  describe: (_resolved, credentials) =>
    cloudSqlIamMessages.describeCloudSqlIam(credentials.username, credentials.expiresAt?.toISOString()),
  fix: cloudSqlIamMessages.fix,
} satisfies CredentialSource<CloudSqlIamSource, CloudSqlIamSourceOptions>;

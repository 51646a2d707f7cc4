import { reusedUntil } from '../messages.js';

/** The Cloud SQL IAM source's sentences, one catalogue per area (errors/messages.ts says the rule). Never a token. */
export const cloudSqlIamMessages = {
  enabledRequired:
    'true to log in with Google OAuth 2.0 access tokens (Cloud SQL IAM database authentication; false ignores the block)',
  notAGoogleAuth:
    'a GoogleAuth of google-auth-library (getClient() and getCredentials()) or one of its auth clients (getAccessToken()), e.g. new JWT({ email, key, scopes })',
  cloudSqlNeedsTls: (allowKey: string) =>
    `Cloud SQL IAM logins need TLS: use sslmode=verify-full (with the instance's server CA) in the dsn or set ssl, or connect through the Cloud SQL Auth Proxy on localhost and set ${allowKey}: true`,
  cloudSqlNeedsVerifiedTls: (allowKey: string) =>
    `TLS without verifying the server (sslmode=no-verify or rejectUnauthorized: false) would hand a Google access token, valid for an hour and good for other Google APIs of its scope, to anyone in the middle: give the instance's server CA (sslrootcert), or set ${allowKey}: true to accept that risk`,
  noToken: 'google-auth-library returned no access token',
  noUser: (dbUserKey: string) =>
    `no database user: the Google credentials name no service account; set ${dbUserKey} or put the IAM user in the dsn (its email; a service account's without .gserviceaccount.com)`,
  describeCloudSqlIam: (username: string, expiresAt?: string) =>
    `obtained a Google OAuth 2.0 access token (scope sqlservice.login) for the Cloud SQL IAM user ${username}${reusedUntil(expiresAt)}`,
  fix: 'Check the Google credentials google-auth-library finds (GOOGLE_APPLICATION_CREDENTIALS, the metadata server, gcloud auth application-default login), that google-auth-library is installed, that the IAM user was added to the instance, and that the instance has cloudsql.iam_authentication on.',
  authMissing: (name: string) =>
    `cloudSqlIamAuth needs the ${name} package, an optional peer of nestjs-rotating-pg: npm install ${name}`,
} as const;

/** The OAuth 2.0 scope of Cloud SQL IAM database logins. */
export const CLOUD_SQL_LOGIN_SCOPE = 'https://www.googleapis.com/auth/sqlservice.login';
/** A service account's database user is its email without this suffix. */
export const SERVICE_ACCOUNT_SUFFIX = '.gserviceaccount.com';

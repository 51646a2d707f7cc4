/** How long one signed token is reused for new logins, unless `dsqlAuth.tokenTtl` says otherwise. */
export const DEFAULT_DSQL_TOKEN_TTL = '10m';
/** How long a token is valid as signed (X-Amz-Expires) unless `dsqlAuth.expiresIn` says otherwise; the SDK's default */
export const DEFAULT_DSQL_EXPIRES_IN = '15m';
/** Aurora DSQL accepts tokens signed for at most a week. */
export const DSQL_MAX_EXPIRES_IN_MS = 7 * 24 * 3_600_000;
/** The database role whose tokens are signed with `DbConnectAdmin`; every other role uses `DbConnect`. */
export const DSQL_ADMIN_USER = 'admin';

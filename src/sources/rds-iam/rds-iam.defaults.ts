/** How long one signed token is reused for new logins, unless `awsIamAuth.tokenTtl` says otherwise. */
export const DEFAULT_IAM_TOKEN_TTL = '10m';
/**
 * IAM auth tokens are valid for 15 minutes; nothing that depends on one may be that long (connection lifetimes
 * included).
 */
export const IAM_TOKEN_VALIDITY_MS = 15 * 60_000;

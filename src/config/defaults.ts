/** Defaults, one place. The README's configuration table repeats them. */
export const DEFAULT_CONNECTION_NAME = 'default';
export const DEFAULT_MAX_OPEN_CONNECTIONS = 10;
export const DEFAULT_MAX_IDLE_CONNECTIONS = 2;
export const DEFAULT_CONNECTION_MAX_LIFETIME = '14m';
export const DEFAULT_CONNECTION_MAX_IDLE_TIME = '10m';
export const DEFAULT_CONNECTION_TIMEOUT = '10s';
export const DEFAULT_IAM_TOKEN_TTL = '10m';
export const DEFAULT_SECRETS_REFRESH_INTERVAL = '1h';
export const DEFAULT_APPLICATION_NAME = 'nestjs-rotating-pg';
/** Share of the lifetime by which a deadline may be pulled in at random. */
export const DEFAULT_LIFETIME_JITTER_SHARE = 0.1;
/** IAM auth tokens are valid for 15 minutes; nothing that depends on one may be that long. */
export const IAM_TOKEN_VALIDITY_MS = 15 * 60_000;

/**
 * Defaults of the options every connection has, one place; each credential source keeps its own
 * in its folder (sources/<name>/). The configuration reference repeats them.
 */
export const DEFAULT_CONNECTION_NAME = 'default';
export const DEFAULT_MAX_OPEN_CONNECTIONS = 10;
export const DEFAULT_MAX_IDLE_CONNECTIONS = 2;
export const DEFAULT_CONNECTION_MAX_LIFETIME = '14m';
export const DEFAULT_CONNECTION_MAX_IDLE_TIME = '10m';
export const DEFAULT_CONNECTION_TIMEOUT = '10s';
export const DEFAULT_APPLICATION_NAME = 'nestjs-rotating-pg';
/** Share of the lifetime by which a deadline may be pulled in at random. */
export const DEFAULT_LIFETIME_JITTER_SHARE = 0.1;

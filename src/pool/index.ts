export type { CloseReason, DatabaseStats } from './pool-stats.js';
export { hintFor, isAuthFailure } from './auth-errors.js';

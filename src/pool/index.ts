export type { CloseReason, DatabaseStats } from './pool-stats.js';

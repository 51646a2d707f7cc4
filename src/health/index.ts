export { type DatabaseHealthCheckOptions, DatabaseHealthIndicator } from './database.health.js';

export { startTestPostgres, type StartTestPostgresOptions, type TestPostgres } from './embedded-postgres.js';
export { freePort } from './free-port.js';

export { CredentialSourceError, DatabaseAuthError, DatabaseConfigError, DatabaseConnectionTimeoutError } from './errors.js';
export { hints, messages } from './messages.js';

export {
  CredentialSourceError,
  DatabaseAuthError,
  DatabaseConfigError,
  DatabaseConnectionError,
  DatabaseConnectionTimeoutError,
  DatabasePoolClosedError,
  RotatingPgError,
} from './errors.js';
export { hints, messages } from './messages.js';

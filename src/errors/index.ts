export {
  CredentialSourceError,
  DatabaseAuthError,
  DatabaseConfigError,
  DatabaseConnectionTimeoutError,
  DatabasePoolClosedError,
  RotatingPgError,
} from './errors.js';
export { hints, messages } from './messages.js';

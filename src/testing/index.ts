export {
  startTestPostgres,
  type StartTestPostgresOptions,
  type TestPostgres,
  TestPostgresError,
} from './embedded-postgres.js';
export { freePort } from './free-port.js';
export { MissingTestingPeerError } from './optional-peer.js';
export { RdsIamProxy, type RdsIamProxyOptions } from './rds-iam-proxy.js';
export { rotateSecret, type RotateSecretOptions, twinOf } from './secret-rotation.js';
export { type SecretsManagerFault, SecretsManagerEmulator } from './secrets-manager-emulator.js';
export {
  type VaultDynamicRole,
  VaultEmulator,
  type VaultEmulatorDatabase,
  type VaultLeaseRecord,
  type VaultStaticRole,
  type VaultTokenSettings,
} from './vault-emulator.js';

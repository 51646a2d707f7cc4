export {
  startTestPostgres,
  type StartTestPostgresOptions,
  type TestPostgres,
  TestPostgresError,
} from './embedded-postgres.js';
export { type TestCertificate, testCertificate } from './certificate.js';
export {
  AZURE_POSTGRES_RESOURCE,
  type EntraIdClient,
  EntraIdEmulator,
  type EntraIdEmulatorOptions,
} from './entra-id-emulator.js';
export { freePort } from './free-port.js';
export {
  CLOUD_SQL_LOGIN_SCOPE,
  GOOGLE_TOKEN_URL,
  GoogleOAuthEmulator,
  type GoogleOAuthEmulatorOptions,
  type ServiceAccountKey,
} from './google-oauth-emulator.js';
export { MissingTestingPeerError } from './optional-peer.js';
export { RdsIamProxy, type RdsIamProxyOptions } from './rds-iam-proxy.js';
export { PostgresTokenFront, type PostgresTokenFrontOptions, type TokenRefusal } from './token-front.js';
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
export {
  rotateVaultKvSecret,
  type RotateVaultKvSecretOptions,
  type VaultKvSecretRef,
  writeVaultKvSecret,
} from './vault-kv-rotation.js';

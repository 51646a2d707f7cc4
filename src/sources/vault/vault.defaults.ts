/** Where the database secrets engine is mounted unless `vault.mount` says otherwise , as Vault mounts it by default. */
export const DEFAULT_VAULT_MOUNT = 'database';
/** Where the AppRole auth method is mounted unless `vault.appRole.mount` says otherwise. */
export const DEFAULT_APPROLE_MOUNT = 'approle';
/** Where the Kubernetes auth method is mounted unless `vault.kubernetes.mount` says otherwise. */
export const DEFAULT_KUBERNETES_MOUNT = 'kubernetes';
/** The service account token Kubernetes mounts into every pod. */
export const DEFAULT_KUBERNETES_TOKEN_PATH = '/var/run/secrets/kubernetes.io/serviceaccount/token';
/** How long one call to Vault may take unless `vault.requestTimeout` says otherwise. */
export const DEFAULT_VAULT_REQUEST_TIMEOUT = '10s';
/** Leases and Vault tokens are renewed once this share of their time has passed, as Vault Agent does. */
export const VAULT_RENEW_AT_SHARE = 2 / 3;
/** The environment variables Vault's own CLI reads. */
export const VAULT_ENV = { address: 'VAULT_ADDR', token: 'VAULT_TOKEN', namespace: 'VAULT_NAMESPACE' } as const;

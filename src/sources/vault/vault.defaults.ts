/** Where the database secrets engine is mounted unless `vault.mount` says otherwise , as Vault mounts it by default. */
export const DEFAULT_VAULT_MOUNT = 'database';
/** Where the KV v2 secrets engine is mounted unless `vault.kv.mount` says otherwise, as a dev server mounts it. */
export const DEFAULT_VAULT_KV_MOUNT = 'secret';
/** The KV secret's keys for the user and the password unless `vault.kv.usernameKey` / `passwordKey` say otherwise. */
export const DEFAULT_VAULT_KV_USERNAME_KEY = 'username';
export const DEFAULT_VAULT_KV_PASSWORD_KEY = 'password';
/** How often the KV secret is re-read without a refused login unless `vault.kv.refreshInterval` says otherwise. */
export const DEFAULT_VAULT_KV_REFRESH_INTERVAL = '5m';
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
/** A scheduled refresh this close to a renewal's time renews: timers may fire a little early. */
export const RENEW_SLACK_MS = 50;

import type { EnvReader, EnvSource } from '../env-source.js';
import { VAULT_ENV } from './vault.defaults.js';
import type { VaultOptions, VaultSourceOptions } from './vault.source.js';

/**
 * `DB_AUTH=vault`: Vault's address, token and namespace from the variables Vault's own CLI reads; what to read
 * (`DB_VAULT_ROLE` dynamic, `DB_VAULT_STATIC_ROLE`, or a KV v2 secret at `DB_VAULT_KV_PATH`) and the mounts from ours.
 */
export const vaultEnv = {
  dbAuth: 'vault',
  options(env) {
    const chosen = env.oneOf(['DB_VAULT_ROLE', 'DB_VAULT_STATIC_ROLE', 'DB_VAULT_KV_PATH']);
    return {
      vault: {
        address: env.required(VAULT_ENV.address),
        namespace: env.optional(VAULT_ENV.namespace),
        ...(chosen?.name === 'DB_VAULT_KV_PATH' ? { kv: kvSecret(env, chosen.value) } : databaseEngine(env, chosen)),
        ...vaultLogin(env),
      },
    };
  },
} satisfies EnvSource<VaultSourceOptions>;

/** A role of the database secrets engine, at `DB_VAULT_MOUNT` (default `database`). */
function databaseEngine(
  env: EnvReader,
  chosen: { name: string; value: string } | undefined,
): Pick<VaultOptions, 'mount' | 'role' | 'staticRole'> {
  const mount = env.optional('DB_VAULT_MOUNT');
  return chosen?.name === 'DB_VAULT_STATIC_ROLE' ? { mount, staticRole: chosen.value } : { mount, role: chosen?.value };
}

/** A KV v2 secret holding the username and password, in the engine at `DB_VAULT_KV_MOUNT` (default `secret`). */
function kvSecret(env: EnvReader, path: string): NonNullable<VaultOptions['kv']> {
  return {
    path,
    mount: env.optional('DB_VAULT_KV_MOUNT'),
    usernameKey: env.optional('DB_VAULT_KV_USERNAME_KEY'),
    passwordKey: env.optional('DB_VAULT_KV_PASSWORD_KEY'),
  };
}

/**
 * AppRole or Kubernetes login when their variables are set, else `VAULT_TOKEN`: a token the CLI left in a shell does
 * not override a login method asked for explicitly.
 */
function vaultLogin(env: EnvReader): Pick<VaultOptions, 'token' | 'appRole' | 'kubernetes'> {
  const appRole = env.optional('VAULT_ROLE_ID') !== undefined || env.optional('VAULT_SECRET_ID') !== undefined;
  const kubernetes = env.optional('VAULT_KUBERNETES_ROLE') !== undefined;
  if (appRole && kubernetes) env.conflict(['VAULT_ROLE_ID', 'VAULT_KUBERNETES_ROLE']);
  if (appRole)
    return {
      appRole: {
        roleId: env.required('VAULT_ROLE_ID'),
        secretId: env.required('VAULT_SECRET_ID'),
        mount: env.optional('VAULT_APPROLE_MOUNT'),
      },
    };
  if (kubernetes)
    return {
      kubernetes: {
        role: env.required('VAULT_KUBERNETES_ROLE'),
        tokenPath: env.optional('VAULT_KUBERNETES_TOKEN_PATH'),
        mount: env.optional('VAULT_KUBERNETES_MOUNT'),
      },
    };
  return { token: env.required(VAULT_ENV.token) };
}

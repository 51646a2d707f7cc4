import type { EnvReader, EnvSource } from '../env-source.js';
import { VAULT_ENV } from './vault.defaults.js';
import type { VaultOptions, VaultSourceOptions } from './vault.source.js';

/**
 * `DB_AUTH=vault`: Vault's address, token and namespace from the variables Vault's own CLI reads; the role
 * (`DB_VAULT_ROLE` dynamic, or `DB_VAULT_STATIC_ROLE`) and the engine's mount (`DB_VAULT_MOUNT`) from ours.
 */
export const vaultEnv = {
  dbAuth: 'vault',
  options(env) {
    const role = env.oneOf(['DB_VAULT_ROLE', 'DB_VAULT_STATIC_ROLE']);
    return {
      vault: {
        address: env.required(VAULT_ENV.address),
        namespace: env.optional(VAULT_ENV.namespace),
        mount: env.optional('DB_VAULT_MOUNT'),
        ...(role?.name === 'DB_VAULT_STATIC_ROLE' ? { staticRole: role.value } : { role: role?.value }),
        ...vaultLogin(env),
      },
    };
  },
} satisfies EnvSource<VaultSourceOptions>;

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

import type { EnvSource } from '../env-source.js';
import type { EntraIdSourceOptions } from './entra-id.source.js';

/**
 * `DB_AUTH=entra-id`: Entra ID tokens from `DefaultAzureCredential`, which reads its own variables (`AZURE_TENANT_ID`,
 * `AZURE_CLIENT_ID`, workload identity's…), so none of ours is required.
 */
export const entraIdEnv = {
  dbAuth: 'entra-id',
  options: (env) => ({ entraIdAuth: { enabled: true, allowPlaintext: env.flag('DB_ALLOW_PLAINTEXT') } }),
} satisfies EnvSource<EntraIdSourceOptions>;

import type { EnvSource } from '../env-source.js';
import type { SecretsManagerSourceOptions } from './secrets-manager.source.js';

/** `DB_AUTH=secrets-manager`: the secret `DB_SECRET_ID`; region and endpoint as the AWS SDK's own variables say. */
export const secretsManagerEnv = {
  dbAuth: 'secrets-manager',
  options: (env) => ({
    secretsManager: {
      secretId: env.required('DB_SECRET_ID'),
      region: env.optional('AWS_REGION'),
      endpoint: env.optional('AWS_ENDPOINT_URL_SECRETS_MANAGER'),
    },
  }),
} satisfies EnvSource<SecretsManagerSourceOptions>;

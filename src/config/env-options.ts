import { DatabaseConfigError } from '../errors/errors.js';
import { configMessages } from './messages.js';
import { DEFAULT_CONNECTION_NAME } from './defaults.js';
import type { DatabaseModuleOptions } from './database-options.interface.js';
import { loadDatabaseConfigFile } from './yaml-config.js';

/**
 * Options for a real database, from the environment:
 * - `DB_CONFIG=config.yaml` (and `DB_CONNECTION`, default `default`): the YAML config file (`connections: <name>: …`);
 * - else `DATABASE_URL` with `DB_AUTH`:
 *   - `password` (default): the password in `DATABASE_URL`;
 *   - `iam`: RDS IAM tokens, with `AWS_REGION` (and optional `DB_IAM_USER`);
 *   - `secrets-manager`: `DB_SECRET_ID`, with `AWS_REGION` (and optional `AWS_ENDPOINT_URL_SECRETS_MANAGER`).
 * Returns undefined when neither is set. Used by the sample app and the `doctor` command.
 */
export function databaseOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): DatabaseModuleOptions | undefined {
  if (env.DB_CONFIG) return loadDatabaseConfigFile(env.DB_CONFIG, env.DB_CONNECTION ?? DEFAULT_CONNECTION_NAME);
  const dsn = env.DATABASE_URL;
  if (!dsn) return undefined;
  const auth = env.DB_AUTH ?? 'password';
  switch (auth) {
    case 'password':
      return { dsn };
    case 'iam':
      return { dsn, awsIamAuth: { enabled: true, region: required(env, 'AWS_REGION'), dbUser: env.DB_IAM_USER } };
    case 'secrets-manager':
      return {
        dsn,
        secretsManager: {
          secretId: required(env, 'DB_SECRET_ID'),
          region: env.AWS_REGION,
          endpoint: env.AWS_ENDPOINT_URL_SECRETS_MANAGER,
        },
      };
    default:
      throw new DatabaseConfigError(configMessages.unknownDbAuth(auth), [configMessages.unknownDbAuth(auth)]);
  }
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value)
    throw new DatabaseConfigError(configMessages.envRequired(name, String(env.DB_AUTH)), [
      configMessages.envRequired(name, String(env.DB_AUTH)),
    ]);
  return value;
}

import type { EnvSource } from '../env-source.js';
import type { CloudSqlIamSourceOptions } from './cloud-sql-iam.source.js';

/**
 * `DB_AUTH=cloud-sql-iam`: tokens from Application Default Credentials (`GOOGLE_APPLICATION_CREDENTIALS`, the metadata
 * server, gcloud), so none of ours is required; `DB_ALLOW_PLAINTEXT=true` for the Cloud SQL Auth Proxy on localhost.
 */
export const cloudSqlIamEnv = {
  dbAuth: 'cloud-sql-iam',
  options: (env) => ({ cloudSqlIamAuth: { enabled: true, allowPlaintext: env.flag('DB_ALLOW_PLAINTEXT') } }),
} satisfies EnvSource<CloudSqlIamSourceOptions>;

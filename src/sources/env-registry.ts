import { cloudSqlIamEnv } from './cloud-sql-iam/cloud-sql-iam.env.js';
import { dsqlEnv } from './dsql/dsql.env.js';
import { entraIdEnv } from './entra-id/entra-id.env.js';
import { rdsIamEnv } from './rds-iam/rds-iam.env.js';
import { secretsManagerEnv } from './secrets-manager/secrets-manager.env.js';
import { staticPasswordEnv } from './static/static.env.js';
import { vaultEnv } from './vault/vault.env.js';

/**
 * The `DB_AUTH` values, one line a source (its mapping lives in its folder, `<name>.env.ts`). The first is the
 * default. A source without a line here is available in code and YAML only (a custom provider).
 */
export const envSources = [
  staticPasswordEnv,
  rdsIamEnv,
  secretsManagerEnv,
  dsqlEnv,
  entraIdEnv,
  cloudSqlIamEnv,
  vaultEnv,
] as const;

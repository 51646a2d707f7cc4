import type { EnvSource } from '../env-source.js';
import type { DsqlSourceOptions } from './dsql.source.js';

/** `DB_AUTH=dsql`: Aurora DSQL tokens for the region in `AWS_REGION`, as the user in `DATABASE_URL`. */
export const dsqlEnv = {
  dbAuth: 'dsql',
  options: (env) => ({
    dsqlAuth: { enabled: true, region: env.required('AWS_REGION'), allowPlaintext: env.flag('DB_ALLOW_PLAINTEXT') },
  }),
} satisfies EnvSource<DsqlSourceOptions>;

import type { EnvSource } from '../env-source.js';
import type { RdsIamSourceOptions } from './rds-iam.source.js';

/** `DB_AUTH=iam`: RDS IAM tokens for the region in `AWS_REGION`, as `DB_IAM_USER` or the user in `DATABASE_URL`. */
export const rdsIamEnv = {
  dbAuth: 'iam',
  options: (env) => ({
    awsIamAuth: { enabled: true, region: env.required('AWS_REGION'), dbUser: env.optional('DB_IAM_USER') },
  }),
} satisfies EnvSource<RdsIamSourceOptions>;

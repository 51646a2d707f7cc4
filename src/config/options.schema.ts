import type { CustomTypesConfig } from 'pg';
import { z } from 'zod';
import type { CredentialProvider } from '../credentials/credential-provider.interface.js';
import { messages } from '../errors/messages.js';
import { type Duration, parseDuration } from './duration.js';

/**
 * The shape of `DatabaseModuleOptions`: types and unknown keys. Rules that relate values
 * (lifetime < 15m, idle ≤ open, one credential source) live in validate-options.ts, which
 * runs them even when the shape has problems, so one error lists everything.
 */
const duration = z.custom<Duration>(
  (value) => (typeof value === 'string' || typeof value === 'number') && parseDuration(value) !== undefined,
  { error: (issue) => messages.notDuration(issue.input) },
);

const typeParsers = z.custom<CustomTypesConfig>(
  (value) => typeof (value as CustomTypesConfig | undefined)?.getTypeParser === 'function',
  { error: messages.wrongType("an object with a getTypeParser(oid, format) method, such as pg's TypeOverrides") },
);

const credentialProvider = z.custom<CredentialProvider>(
  (value) => typeof (value as CredentialProvider | undefined)?.fetch === 'function',
  { error: messages.wrongType('an object with a fetch(context) method') },
);

export const awsIamAuthSchema = z.strictObject({
  enabled: z.boolean(),
  region: z.string(),
  dbUser: z.string().optional(),
  tokenTtl: duration.optional(),
  signingHost: z.string().optional(),
  signingPort: z.number().optional(),
  allowPlaintext: z.boolean().optional(),
});

export const secretsManagerSchema = z.strictObject({
  secretId: z.string(),
  region: z.string().optional(),
  endpoint: z.string().optional(),
  refreshInterval: duration.optional(),
});

export const databaseOptionsSchema = z.strictObject({
  name: z.string().min(1).optional(),
  dsn: z.string().optional(),
  host: z.string().optional(),
  port: z.number().optional(),
  database: z.string().optional(),
  user: z.string().optional(),
  password: z.string().optional(),
  ssl: z.union([z.boolean(), z.record(z.string(), z.unknown())]).optional(),
  maxOpenConnections: z.number().optional(),
  maxIdleConnections: z.number().optional(),
  connectionMaxLifetime: duration.optional(),
  connectionMaxLifetimeJitter: duration.optional(),
  connectionMaxIdleTime: duration.optional(),
  connectionTimeout: duration.optional(),
  applicationName: z.string().optional(),
  statementTimeout: duration.optional(),
  queryTimeout: duration.optional(),
  lockTimeout: duration.optional(),
  idleInTransactionSessionTimeout: duration.optional(),
  keepAlive: z.boolean().optional(),
  keepAliveInitialDelay: duration.optional(),
  options: z.string().optional(),
  types: typeParsers.optional(),
  awsIamAuth: awsIamAuthSchema.optional(),
  secretsManager: secretsManagerSchema.optional(),
  credentialProvider: credentialProvider.optional(),
});

/** Keys known at each nesting level, for "did you mean" style messages on unknown keys. */
export const knownKeys: Readonly<Record<string, readonly string[]>> = {
  '': Object.keys(databaseOptionsSchema.shape),
  awsIamAuth: Object.keys(awsIamAuthSchema.shape),
  secretsManager: Object.keys(secretsManagerSchema.shape),
};

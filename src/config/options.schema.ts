import type { Duplex } from 'node:stream';
import type { CustomTypesConfig } from 'pg';
import { z } from 'zod';
import { messages } from '../errors/messages.js';
import { configMessages } from './messages.js';
import type { MeterProviderLike } from '../common/opentelemetry.js';
import type { DatabaseModuleOptions } from './database-options.interface.js';
import { durationSchema as duration } from '../common/duration.schema.js';
import { credentialSourceShape } from '../sources/registry.js';

/**
 * The shape of `DatabaseModuleOptions`: types and unknown keys; each credential source adds its
 * own keys (sources/). Rules that relate values
 * (lifetime < 15m, idle ≤ open, one credential source) live in resolve-database-options.ts, which
 * runs them even when the shape has problems, so one error lists everything.
 */
const typeParsers = z.custom<CustomTypesConfig>(
  (value) => typeof (value as CustomTypesConfig | undefined)?.getTypeParser === 'function',
  { error: messages.wrongType("an object with a getTypeParser(oid, format) method, such as pg's TypeOverrides") },
);

const meterProvider = z.custom<MeterProviderLike>(
  (value) => typeof (value as MeterProviderLike | undefined)?.getMeter === 'function',
  { error: messages.wrongType('an OpenTelemetry MeterProvider (an object with a getMeter(name) method)') },
);

const socketFactory = z.custom<() => Duplex>((value) => typeof value === 'function', {
  error: messages.wrongType("a function that returns a connection's socket, such as the Cloud SQL connector's stream"),
});

export const databaseOptionsSchema = z.strictObject({
  name: z.string().min(1, { error: configMessages.emptyName() }).optional(),
  dsn: z.string().optional(),
  host: z.string().optional(),
  port: z.number().optional(),
  database: z.string().optional(),
  user: z.string().optional(),
  ssl: z.union([z.boolean(), z.record(z.string(), z.unknown())], { error: configMessages.badSsl() }).optional(),
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
  sessionRole: z.string().min(1, { error: configMessages.emptySessionRole() }).optional(),
  types: typeParsers.optional(),
  stream: socketFactory.optional(),
  meterProvider: meterProvider.optional(),
  durationMetrics: z.boolean().optional(),
  ...credentialSourceShape,
});

/**
 * The same keys, keeping every value that is valid and dropping the rest (unknown keys too): the
 * rules that relate values run on this, after the strict parse has reported what is wrong, so a
 * bad value is reported once and the other rules still run.
 */
export const lenientOptionsSchema = lenient(databaseOptionsSchema);

function lenient(schema: z.ZodType): z.ZodType {
  const inner = schema instanceof z.ZodOptional ? (schema.unwrap() as z.ZodType) : schema;
  if (inner instanceof z.ZodObject) {
    const shape = Object.fromEntries(
      Object.entries(inner.shape).map(([key, value]) => [key, lenient(value as z.ZodType)]),
    );
    return z.object(shape).optional().catch(undefined);
  }
  return schema.optional().catch(undefined);
}

/** Keys known at each nesting level, for "did you mean" style messages on unknown keys. */
export const knownKeys: Readonly<Record<string, readonly string[]>> = Object.fromEntries<readonly string[]>([
  ['', Object.keys(databaseOptionsSchema.shape)],
  ...Object.entries(databaseOptionsSchema.shape).flatMap(([key, schema]): [string, string[]][] => {
    const block = (schema as z.ZodOptional<z.ZodType>).unwrap?.();
    return block instanceof z.ZodObject ? [[key, Object.keys(block.shape)]] : [];
  }),
]);

// One spelling per option: the schema and the documented interface must name the same keys.
type SchemaKeys = keyof z.input<typeof databaseOptionsSchema>;
type DocumentedKeys = keyof DatabaseModuleOptions;
const sameKeys: [SchemaKeys] extends [DocumentedKeys] ? ([DocumentedKeys] extends [SchemaKeys] ? true : never) : never =
  true;
void sameKeys;

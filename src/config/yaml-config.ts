import { DEFAULT_CONNECTION_NAME } from './defaults.js';
import { readFileSync } from 'node:fs';
import { parseDocument, type YAMLError } from 'yaml';
import { z } from 'zod';
import { DatabaseConfigError } from '../errors/errors.js';
import { configMessages } from './messages.js';
import type { DatabaseModuleOptions } from './database-options.interface.js';
import { durationSchema } from '../common/duration.schema.js';
import { databaseOptionsSchema } from './options.schema.js';
import { type KeyNamer, resolveDatabaseOptions } from './resolve-database-options.js';

/** Drivers a Go config may name; all mean "PostgreSQL", which is all this module speaks. */
const POSTGRES_DRIVERS = new Set(['postgres', 'postgresql', 'pgx']);

/**
 * Reads the YAML config file shape (`connections: <name>: { dsn, max_open_connections,
 * connection_max_lifetime, aws_iam_auth: {…}, secrets_manager: {…} }`) and returns the
 * options of one connection, validated, for `DatabaseModule.forRoot`.
 *
 * @example
 * DatabaseModule.forRoot(loadDatabaseConfigFile('config.yaml'))
 */
export function loadDatabaseConfigFile(path: string, connection = DEFAULT_CONNECTION_NAME): DatabaseModuleOptions {
  return parseDatabaseConfig(readFileSync(path, 'utf8'), connection, path);
}

/** Like `loadDatabaseConfigFile`, from YAML text. */
export function parseDatabaseConfig(
  yamlText: string,
  connection = DEFAULT_CONNECTION_NAME,
  source = 'YAML config',
): DatabaseModuleOptions {
  const options = readDatabaseConfig(yamlText, connection, source);
  // Validate now, so problems are reported with the file's own key names, and the file named.
  try {
    resolveDatabaseOptions(options, yamlKeyNames(connection));
  } catch (error) {
    throw error instanceof DatabaseConfigError ? configError(connection, source, error.problems) : error;
  }
  return options;
}

/** The options of one connection as the file states them, not yet validated (the doctor judges them itself). */
export function readDatabaseConfig(
  yamlText: string,
  connection = DEFAULT_CONNECTION_NAME,
  source = 'YAML config',
): DatabaseModuleOptions {
  const connections = readConnections(yamlText, source, connection);
  const block = connections[connection];
  if (!isRecord(block)) {
    const names = Object.keys(connections);
    throw configError(connection, source, [
      connection in connections
        ? `connections.${connection}: ${configMessages.connectionNotMap()}`
        : configMessages.yamlConnectionNotFound(connection, source, names),
    ]);
  }
  const { driver, ...rest } = block;
  if (driver !== undefined && (typeof driver !== 'string' || !POSTGRES_DRIVERS.has(driver))) {
    throw configError(connection, source, [configMessages.yamlDriverNotSupported(connection, driver)]);
  }
  const options = fromYamlKeys(rest);
  const unitless = unitlessDurations(options).map(
    (path) =>
      `${yamlKeyNames(connection)(path)}: ${configMessages.durationNeedsUnit(valueAt(options, path) as number)}`,
  );
  if (unitless.length > 0) throw configError(connection, source, unitless);
  return { name: connection, ...options };
}

/**
 * Duration options written as bare numbers. In code a number is milliseconds; in a file
 * `connection_max_lifetime: 14` is surely 14 minutes meant (Go would read nanoseconds), so a file
 * must say its unit.
 */
function unitlessDurations(
  options: Record<string, unknown>,
  shape: Record<string, unknown> = databaseOptionsSchema.shape,
  prefix: string[] = [],
): string[][] {
  return Object.entries(shape).flatMap(([key, field]) => {
    const schema = field instanceof z.ZodOptional ? field.unwrap() : field;
    const value = options[key];
    // NaN and .inf are no durations at all, whatever the unit: the schema says so.
    if (schema === durationSchema) return Number.isFinite(value) ? [[...prefix, key]] : [];
    if (schema instanceof z.ZodObject && isRecord(value))
      return unitlessDurations(value, schema.shape, [...prefix, key]);
    return [];
  });
}

function valueAt(options: Record<string, unknown>, path: string[]): unknown {
  return path.reduce<unknown>((value, key) => (isRecord(value) ? value[key] : undefined), options);
}

/** Names option paths as the YAML file spells them: `connections.default.connection_max_lifetime`. */
export function yamlKeyNames(connection: string): KeyNamer {
  return (path) => ['connections', connection, ...path.map(snakeCase)].join('.');
}

/** Names of the connections a config file defines. */
export function listDatabaseConnections(yamlText: string, source = 'YAML config'): string[] {
  return Object.keys(readConnections(yamlText, source));
}

function readConnections(yamlText: string, source: string, connection?: string): Record<string, unknown> {
  // The parser quotes the offending line of an error or a warning (process.emitWarning, on stderr),
  // and that line may hold a DSN password: both are reported by position only.
  const parsed = parseDocument(yamlText, { logLevel: 'silent' });
  const [error] = parsed.errors;
  if (error) throw configError(connection, source, [configMessages.yamlInvalid(source, where(error))]);
  for (const warning of parsed.warnings)
    process.emitWarning(configMessages.yamlWarning(source, warning.code, where(warning)), 'YAMLWarning');
  const document: unknown = parsed.toJS();
  if (!isRecord(document) || !isRecord(document.connections)) {
    throw configError(connection, source, [configMessages.yamlNoConnections(source)]);
  }
  return document.connections;
}

function where(problem: YAMLError): string {
  return problem.linePos ? ` at line ${problem.linePos[0].line}, column ${problem.linePos[0].col}` : '';
}

function configError(connection: string | undefined, source: string, problems: readonly string[]): DatabaseConfigError {
  return new DatabaseConfigError(configMessages.invalidConfigFile(source, connection, problems), problems);
}

function fromYamlKeys(block: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(block).map(([key, value]) => [camelCase(key), isRecord(value) ? fromYamlKeys(value) : value]),
  );
}

function camelCase(key: string): string {
  return key.replace(/_([a-z0-9])/g, (_, letter: string) => letter.toUpperCase());
}

function snakeCase(key: string): string {
  return key.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DEFAULT_CONNECTION_NAME } from '../config/defaults.js';
import { redactSecrets } from '../errors/redact.js';
import type { DatabaseModuleOptions } from '../config/database-options.interface.js';
import { cliMessages } from './messages.js';

/**
 * A `--config` file that is a module rather than YAML: its exports are the options. TypeScript too, which
 * Node loads where it strips types (22.18+, 24); elsewhere the load fails with Node's reason, the file named.
 */
export function isOptionsModule(path: string): boolean {
  return /\.(?:m|c)?(?:js|ts)$/.test(path);
}

/** A problem with an options module: the message names the file and says what to export. */
export class OptionsModuleError extends Error {}

/**
 * The options of `connection` from a JavaScript module, as the app's `forRootAsync` factory would
 * return them: its `connections` export or else its default export, each one of the options of one
 * connection, an array of named options, or a function (async or not) that returns either. Only
 * JavaScript can give what YAML cannot: a `credentialProvider`, a `meterProvider`, TLS read from a file.
 *
 * @example
 * // db.config.mjs, read by `nestjs-rotating-pg exec --config db.config.mjs --connection reports -- …`
 * export default async () => [
 *   { dsn: process.env.DATABASE_URL },
 *   { name: 'reports', dsn: process.env.REPORTS_URL, credentialProvider: vaultProvider },
 * ];
 */
export async function loadOptionsModule(path: string, connection?: string): Promise<DatabaseModuleOptions> {
  let exports: Record<string, unknown>;
  try {
    exports = (await import(pathToFileURL(resolve(path)).href)) as Record<string, unknown>;
  } catch (error) {
    // The error's message only, never its stack or the code around a syntax error: a DSN password may be there.
    throw new OptionsModuleError(cliMessages.optionsModuleUnloadable(path, messageOf(error)));
  }
  let exported = exports.connections ?? exports.default;
  if (exported === undefined) throw new OptionsModuleError(cliMessages.optionsModuleNoExport(path));
  if (typeof exported === 'function') {
    try {
      exported = await (exported as () => unknown)();
    } catch (error) {
      throw new OptionsModuleError(cliMessages.optionsModuleFactoryFailed(path, messageOf(error)));
    }
  }
  return pick(listOf(exported, path), connection, path);
}

function listOf(exported: unknown, path: string): DatabaseModuleOptions[] {
  const list = Array.isArray(exported) ? exported : [exported];
  list.forEach((entry, index) => {
    if (!isRecord(entry))
      throw new OptionsModuleError(
        cliMessages.optionsModuleWrongShape(path, Array.isArray(exported) ? index : undefined, describe(entry)),
      );
  });
  return list as DatabaseModuleOptions[];
}

function pick(list: DatabaseModuleOptions[], connection: string | undefined, path: string): DatabaseModuleOptions {
  const names = list.map((options) => options.name ?? DEFAULT_CONNECTION_NAME);
  const duplicate = names.find((name, index) => names.indexOf(name) !== index);
  if (duplicate !== undefined) throw new OptionsModuleError(cliMessages.optionsModuleDuplicate(path, duplicate));
  const wanted = connection ?? DEFAULT_CONNECTION_NAME;
  const index = names.indexOf(wanted);
  // One connection and no --connection: that one, whatever its name.
  if (index === -1 && connection === undefined && list.length === 1) return list[0]!;
  if (index === -1) throw new OptionsModuleError(cliMessages.optionsModuleConnectionNotFound(path, wanted, names));
  return list[index]!;
}

/** A DSN in the module's own error (a failed connect, say) is shown without its password. */
function messageOf(error: unknown): string {
  return redactSecrets(error instanceof Error ? error.message : String(error), []);
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

import { DatabaseConfigError } from '../errors/errors.js';
import type { EnvReader } from '../sources/env-source.js';
import { envSources } from '../sources/env-registry.js';
import { configMessages } from './messages.js';
import { DEFAULT_CONNECTION_NAME } from './defaults.js';
import type { DatabaseModuleOptions } from './database-options.interface.js';
import { loadDatabaseConfigFile } from './yaml-config.js';

/**
 * Options for a real database, from the environment:
 * - `DB_CONFIG=config.yaml` (and `DB_CONNECTION`, default `default`): the YAML config file (`connections: <name>: …`);
 * - else `DATABASE_URL` with `DB_AUTH` (default `password`), whose source reads its own variables
 *   (sources/<name>/<name>.env.ts, listed in sources/env-registry.ts; the table is in docs/sources.md).
 * Returns undefined when neither is set. Every missing or wrong variable is named in one error.
 * Used by the sample app and the CLI.
 */
export function databaseOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): DatabaseModuleOptions | undefined {
  if (env.DB_CONFIG) return loadDatabaseConfigFile(env.DB_CONFIG, env.DB_CONNECTION ?? DEFAULT_CONNECTION_NAME);
  const dsn = env.DATABASE_URL;
  if (!dsn) return undefined;
  const auth = env.DB_AUTH || envSources[0].dbAuth;
  const source = envSources.find((candidate) => candidate.dbAuth === auth);
  if (!source)
    fail([
      configMessages.unknownDbAuth(
        auth,
        envSources.map((known) => known.dbAuth),
      ),
    ]);
  const problems: string[] = [];
  const options = source.options(envReader(env, auth, problems));
  if (problems.length > 0) fail(problems);
  return { dsn, ...options };
}

function fail(problems: readonly string[]): never {
  throw new DatabaseConfigError(problems.length === 1 ? problems[0]! : configMessages.invalidEnv(problems), problems);
}

/** Reads `env` for the source chosen by `DB_AUTH=auth`, adding each problem to `problems`. */
function envReader(env: NodeJS.ProcessEnv, auth: string, problems: string[]): EnvReader {
  const optional = (name: string) => env[name] || undefined;
  return {
    optional,
    required(name) {
      const value = optional(name);
      if (value === undefined) problems.push(configMessages.envRequired(name, auth));
      return value ?? '';
    },
    flag(name) {
      const value = optional(name);
      if (value === 'true' || value === 'false') return value === 'true';
      if (value !== undefined) problems.push(configMessages.envNotFlag(name));
      return undefined;
    },
    oneOf(names) {
      const given = names.flatMap((name) => {
        const value = optional(name);
        return value === undefined ? [] : [{ name, value }];
      });
      if (given.length === 0) problems.push(configMessages.envRequired(names.join(' or '), auth));
      if (given.length > 1)
        problems.push(
          configMessages.envConflict(
            given.map((variable) => variable.name),
            auth,
          ),
        );
      return given.length === 1 ? given[0] : undefined;
    },
    conflict: (names) => problems.push(configMessages.envConflict(names, auth)),
  };
}

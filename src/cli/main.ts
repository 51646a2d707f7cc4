#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DEFAULT_CONNECTION_NAME } from '../config/defaults.js';
import { databaseOptionsFromEnv } from '../config/env-options.js';
import { readDatabaseConfig, yamlKeyNames } from '../config/yaml-config.js';
import type { DatabaseModuleOptions } from '../config/database-options.interface.js';
import type { KeyNamer } from '../common/option-checker.js';
import { runDoctor } from './doctor.js';
import { fetchToolCredentials, runTool, validityNotices } from './exec.js';
import { isOptionsModule, loadOptionsModule } from './options-module.js';
import { cliMessages } from './messages.js';
import { renderDoctorReport } from './render.js';
import { PrivateFiles, toolEnvironment } from './tool-environment.js';

const USAGE = cliMessages.usage;
const COMMANDS = new Set(['doctor', 'exec', 'url']);

interface LoadedOptions {
  options: DatabaseModuleOptions;
  keyName?: KeyNamer;
  /** Where they came from: the file, or `environment`. */
  source: string;
}

async function main(argv: string[]): Promise<number> {
  // Everything after `--` is the tool's, never an option of ours (`exec -- psql --help`).
  const separator = argv.indexOf('--');
  const ours = separator === -1 ? argv : argv.slice(0, separator);
  let parsed;
  try {
    parsed = parseArgs({
      args: ours,
      allowPositionals: true,
      options: {
        config: { type: 'string' },
        connection: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean' },
      },
    });
  } catch (error) {
    // An option of the tool's given without `--` (`exec psql -c …`) lands here too.
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { positionals, values } = parsed;
  const command = positionals[0];
  if (command === 'exec' && separator === -1 && positionals.length > 1) {
    console.error(cliMessages.noCommand);
    return 2;
  }
  if (values.help || command === undefined || !COMMANDS.has(command) || positionals.length > 1) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  let loaded: LoadedOptions | undefined;
  try {
    loaded = await loadOptions(values.config, values.connection);
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    return 1;
  }
  if (!loaded) {
    console.error(command === 'doctor' ? cliMessages.nothingToCheck(USAGE) : cliMessages.noOptions(command));
    return 2;
  }
  if (command === 'doctor') {
    const report = await runDoctor(loaded.options, loaded.keyName);
    console.log(
      values.json
        ? JSON.stringify({ source: loaded.source, ...report }, null, 2)
        : renderDoctorReport(report, loaded.source),
    );
    return report.ok ? 0 : 1;
  }
  const tool = separator === -1 ? [] : argv.slice(separator + 1);
  if (command === 'exec' && tool.length === 0) {
    console.error(cliMessages.noCommand);
    return 2;
  }
  const { resolved, credentials, release } = await fetchToolCredentials(loaded.options, loaded.keyName);
  for (const notice of validityNotices(credentials)) console.error(notice);
  if (command === 'url') {
    const { url } = toolEnvironment(resolved.connection, credentials);
    if (process.stdout.isTTY) console.error(cliMessages.urlOnTerminal);
    console.log(url);
    // Not released: the URL is for a command that runs after this one, so a Vault lease must stay (until its TTL).
    return 0;
  }
  const files = new PrivateFiles();
  try {
    const { variables } = toolEnvironment(resolved.connection, credentials, files);
    return await runTool(tool[0]!, tool.slice(1), { ...process.env, ...variables });
  } finally {
    files.remove();
    await release();
  }
}

/**
 * The options exactly as the app reads them: the config file given (YAML, or a JavaScript module
 * exporting them), or the environment the sample app reads (DB_CONFIG, or DATABASE_URL with DB_AUTH).
 * `--connection` picks the file's connection.
 */
async function loadOptions(
  config: string | undefined,
  connectionFlag: string | undefined,
): Promise<LoadedOptions | undefined> {
  if (config && isOptionsModule(config)) {
    const options = await loadOptionsModule(config, connectionFlag);
    return { options: { ...options, name: options.name ?? DEFAULT_CONNECTION_NAME }, source: config };
  }
  if (config) {
    const connection = connectionFlag ?? DEFAULT_CONNECTION_NAME;
    return {
      options: { ...readDatabaseConfig(readFileSync(config, 'utf8'), connection, config), name: connection },
      keyName: yamlKeyNames(connection),
      source: config,
    };
  }
  const env = connectionFlag === undefined ? process.env : { ...process.env, DB_CONNECTION: connectionFlag };
  const options = databaseOptionsFromEnv(env);
  if (!options) return undefined;
  const connection = options.name ?? connectionFlag ?? DEFAULT_CONNECTION_NAME;
  return {
    options: { ...options, name: connection },
    keyName: env.DB_CONFIG ? yamlKeyNames(connection) : undefined,
    source: env.DB_CONFIG ?? 'environment',
  };
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exitCode = 1;
  },
);

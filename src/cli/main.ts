#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DEFAULT_CONNECTION_NAME } from '../config/defaults.js';
import { databaseOptionsFromEnv } from '../config/env-options.js';
import { readDatabaseConfig, yamlKeyNames } from '../config/yaml-config.js';
import type { DatabaseModuleOptions } from '../config/database-options.interface.js';
import type { KeyNamer } from '../common/option-checker.js';
import { runDoctor } from './doctor.js';
import { cliMessages } from './messages.js';
import { renderDoctorReport } from './render.js';

const USAGE = cliMessages.usage;

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string' },
      connection: { type: 'string', default: DEFAULT_CONNECTION_NAME },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean' },
    },
  });
  if (values.help || positionals[0] !== 'doctor') {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  const connection = values.connection;
  let options: DatabaseModuleOptions | undefined;
  let keyName: KeyNamer | undefined;
  let source: string;
  try {
    if (values.config) {
      source = values.config;
      options = readDatabaseConfig(readFileSync(values.config, 'utf8'), connection, values.config);
      keyName = yamlKeyNames(connection);
    } else {
      source = 'environment';
      options = databaseOptionsFromEnv();
    }
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    return 1;
  }
  if (!options) {
    console.error(cliMessages.nothingToCheck(USAGE));
    return 2;
  }
  const report = await runDoctor({ ...options, name: connection }, keyName);
  console.log(values.json ? JSON.stringify({ source, ...report }, null, 2) : renderDoctorReport(report, source));
  return report.ok ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exitCode = 1;
  },
);

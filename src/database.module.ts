import { type DynamicModule, Module, type Provider } from '@nestjs/common';
import type { DatabaseModuleOptions } from './config/database-options.interface.js';
import { DEFAULT_CONNECTION_NAME } from './database.constants.js';
import {
  ConfigurableDatabaseModule,
  DATABASE_ASYNC_OPTIONS_TYPE,
  DATABASE_MODULE_OPTIONS,
  DATABASE_OPTIONS_TYPE,
} from './database.module-definition.js';
import { getDbServiceToken, getPgPoolToken } from './database.utils.js';
import { DbService } from './db.service.js';
import { DatabaseConfigError } from './errors/errors.js';
import { messages } from './errors/messages.js';

/**
 * A PostgreSQL connection with rotating credentials.
 *
 * @example
 * DatabaseModule.forRoot({ dsn: 'postgresql://app@db:5432/app?sslmode=verify-full', awsIamAuth: { enabled: true, region: 'us-east-1' } })
 */
@Module({})
export class DatabaseModule extends ConfigurableDatabaseModule {
  static override forRoot(options: typeof DATABASE_OPTIONS_TYPE): DynamicModule {
    return withDbService(super.forRoot(options), options.name);
  }

  static override forRootAsync(options: typeof DATABASE_ASYNC_OPTIONS_TYPE): DynamicModule {
    return withDbService(super.forRootAsync(options), options.name);
  }
}

function withDbService(definition: DynamicModule, name = DEFAULT_CONNECTION_NAME): DynamicModule {
  const token = getDbServiceToken(name);
  const poolToken = getPgPoolToken(name);
  const dbService: Provider = {
    provide: token,
    useFactory: (options: DatabaseModuleOptions | null | undefined) => {
      // A factory naming another connection (e.g. loadDatabaseConfigFile(file, 'reports')) would
      // otherwise register under the module's name, silently.
      if (options?.name !== undefined && options.name !== name) {
        const problem = messages.connectionNameMismatch(name, options.name);
        throw new DatabaseConfigError(problem, [problem]);
      }
      // A factory that returned no options is told so by validation, not by a TypeError here.
      return DbService.create(
        typeof options === 'object' && options !== null ? { ...options, name } : (options as never),
      );
    },
    inject: [DATABASE_MODULE_OPTIONS],
  };
  const pgPool: Provider = { provide: poolToken, useFactory: (db: DbService) => db.pool, inject: [token] };
  return {
    ...definition,
    providers: [...(definition.providers ?? []), dbService, pgPool],
    exports: [token, poolToken],
  };
}

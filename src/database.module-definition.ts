import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { DatabaseModuleOptions } from './config/database-options.interface.js';

/** What `forRoot`/`forRootAsync` take besides the options themselves. */
export interface DatabaseModuleExtras {
  /** Make this connection's `DbService` injectable everywhere without importing the module. Default `false`. */
  isGlobal?: boolean;
  /** Connection name; for `forRoot` it may also be given as `options.name`. Default `'default'`. */
  name?: string;
}

export const {
  ConfigurableModuleClass: ConfigurableDatabaseModule,
  MODULE_OPTIONS_TOKEN: DATABASE_MODULE_OPTIONS,
  OPTIONS_TYPE: DATABASE_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: DATABASE_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<DatabaseModuleOptions>({ moduleName: 'Database' })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createDatabaseOptions')
  .setExtras<DatabaseModuleExtras>({ isGlobal: false, name: undefined }, (definition, extras) => ({
    ...definition,
    global: extras.isGlobal,
  }))
  .build();

/** A class for `forRootAsync({ useClass })`. */
export interface DatabaseOptionsFactory {
  createDatabaseOptions(): DatabaseModuleOptions | Promise<DatabaseModuleOptions>;
}

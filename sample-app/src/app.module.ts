import { type DynamicModule, Module } from '@nestjs/common';
import { DatabaseModule, type DatabaseModuleOptions } from 'nestjs-rotating-pg';
import { HealthModule } from './health/health.module.js';
import { NotesModule } from './notes/notes.module.js';

@Module({})
export class AppModule {
  static register(database: DatabaseModuleOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [DatabaseModule.forRoot({ ...database, isGlobal: true }), NotesModule, HealthModule],
    };
  }
}

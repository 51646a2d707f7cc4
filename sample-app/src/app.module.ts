import { type DynamicModule, Module } from '@nestjs/common';
import { DatabaseModule, type DatabaseModuleOptions } from 'nestjs-rotating-pg';
import type { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { HealthModule } from './health/health.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { NotesModule } from './notes/notes.module.js';

@Module({})
export class AppModule {
  /** `metrics`: the exporter that serves GET /metrics; without it the app has no such route. */
  static register(database: DatabaseModuleOptions, metrics?: PrometheusExporter): DynamicModule {
    return {
      module: AppModule,
      imports: [
        DatabaseModule.forRoot({ ...database, isGlobal: true }),
        NotesModule,
        HealthModule,
        ...(metrics ? [MetricsModule.register(metrics)] : []),
      ],
    };
  }
}

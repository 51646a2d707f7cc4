import { type DynamicModule, Module } from '@nestjs/common';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MetricsController } from './metrics.controller.js';

@Module({})
export class MetricsModule {
  static register(exporter: PrometheusExporter): DynamicModule {
    return {
      module: MetricsModule,
      controllers: [MetricsController],
      providers: [{ provide: PrometheusExporter, useValue: exporter }],
    };
  }
}

import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import type { IncomingMessage, ServerResponse } from 'node:http';

@Controller('metrics')
export class MetricsController {
  constructor(@Inject(PrometheusExporter) private readonly exporter: PrometheusExporter) {}

  /** Prometheus scrapes this: the pool's OpenTelemetry metrics in the text exposition format. */
  @Get()
  scrape(@Req() request: IncomingMessage, @Res() response: ServerResponse): void {
    this.exporter.getMetricsRequestHandler(request, response);
  }
}

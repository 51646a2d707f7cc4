import { metrics } from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';

export interface Telemetry {
  /** Renders every metric in the Prometheus text format on each scrape. */
  exporter: PrometheusExporter;
  stop(): Promise<void>;
}

/**
 * The OpenTelemetry SDK, registered globally the way an app does it at start-up (before
 * NestFactory.create), so DatabaseModule finds it without being told. The exporter serves no
 * port of its own: the app's /metrics route hands scrapes to it.
 */
export function startTelemetry(): Telemetry {
  const exporter = new PrometheusExporter({ preventServerStart: true });
  const provider = new MeterProvider({ readers: [exporter] });
  metrics.setGlobalMeterProvider(provider);
  return {
    exporter,
    async stop() {
      metrics.disable();
      await provider.shutdown();
    },
  };
}

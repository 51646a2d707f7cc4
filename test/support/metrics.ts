import type { Attributes } from '@opentelemetry/api';
import { DataPointType, MeterProvider, MetricReader, type MetricData } from '@opentelemetry/sdk-metrics';

/** A reader that hands over what it collects, when asked: the SDK's own aggregation, no exporter. */
class InMemoryReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

export interface CollectedPoint {
  attributes: Attributes;
  /** A counter's or gauge's value; a histogram's count. */
  value: number;
}

/** One collection, by instrument name. */
export class Collected {
  constructor(readonly metrics: Map<string, MetricData>) {}

  names(): string[] {
    return [...this.metrics.keys()].sort();
  }

  unit(name: string): string | undefined {
    return this.metrics.get(name)?.descriptor.unit;
  }

  /** The points of `name` whose attributes include every one of `match`. */
  points(name: string, match: Attributes = {}): CollectedPoint[] {
    const metric = this.metrics.get(name);
    if (!metric) return [];
    return metric.dataPoints
      .filter((point) => Object.entries(match).every(([key, value]) => point.attributes[key] === value))
      .map((point) => ({
        attributes: point.attributes,
        value:
          metric.dataPointType === DataPointType.HISTOGRAM
            ? (point.value as { count: number }).count
            : (point.value as number),
      }));
  }

  /** The one value of `name` for `match`; throws when there is none or several. */
  value(name: string, match: Attributes): number {
    const points = this.points(name, match);
    if (points.length !== 1)
      throw new Error(
        `${name} ${JSON.stringify(match)}: ${points.length} points (${JSON.stringify(this.points(name))})`,
      );
    return points[0]!.value;
  }

  /** Every attribute value anywhere, for the no-secret check. */
  everyAttributeValue(): string[] {
    return [...this.metrics.values()].flatMap((metric) =>
      metric.dataPoints.flatMap((point) => Object.values(point.attributes).map(String)),
    );
  }
}

/** The real OpenTelemetry SDK with a reader the test collects from. */
export function testMeterProvider(): {
  provider: MeterProvider;
  collect(): Promise<Collected>;
  shutdown(): Promise<void>;
} {
  const reader = new InMemoryReader();
  const provider = new MeterProvider({ readers: [reader] });
  return {
    provider,
    async collect() {
      const { resourceMetrics, errors } = await reader.collect();
      if (errors.length > 0) throw errors[0];
      const metrics = new Map<string, MetricData>();
      for (const scope of resourceMetrics.scopeMetrics)
        for (const metric of scope.metrics) metrics.set(metric.descriptor.name, metric);
      return new Collected(metrics);
    },
    shutdown: () => provider.shutdown(),
  };
}

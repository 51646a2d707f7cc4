/**
 * What `meterProvider` must be: an OpenTelemetry `MeterProvider` (the SDK's, or one the app
 * wraps). Typed loosely so that apps without `@opentelemetry/api` still compile against ours.
 * A leaf: the options (config) and the metrics both name it, and neither depends on the other.
 */
export interface MeterProviderLike {
  getMeter(name: string, version?: string, options?: { schemaUrl?: string }): unknown;
}

import type { Meter, MeterProvider } from '@opentelemetry/api';
import type { MeterProviderLike } from '../common/opentelemetry.js';

/** The instrumentation scope every instrument of this module is created under. */
export const METER_NAME = 'nestjs-rotating-pg';

/**
 * The meter to report to: from the given provider, else from the global one. Undefined when
 * there is nothing to report to (no `@opentelemetry/api` installed, or only its no-op provider
 * registered), so the pool then takes no timestamps and registers no callbacks.
 */
export async function resolveMeter(given?: MeterProviderLike): Promise<Meter | undefined> {
  const api = await import('@opentelemetry/api').catch(() => undefined);
  const provider = (given ?? api?.metrics.getMeterProvider()) as MeterProvider | undefined;
  const meter = provider?.getMeter(METER_NAME);
  if (!meter || (api && meter === api.createNoopMeter())) return undefined;
  return meter;
}

import type { MeterProvider, TracerProvider } from '@opentelemetry/api';

/** Options of {@link RedisCacheOpenTelemetry}; every one is optional. */
export interface RedisCacheOpenTelemetryOptions {
  /**
   * A span around each load (the method, route handler or `wrap()` factory run on a miss or a
   * refresh), named `cache.load <label>`, so that what the method does nests under it. Hits get
   * no span: they are counted. @default false
   */
  spans?: boolean;
  /** Where the instruments come from. @default the global one (`metrics.getMeterProvider()`) */
  meterProvider?: MeterProvider;
  /** Where spans go. @default the global one (`trace.getTracerProvider()`) */
  tracerProvider?: TracerProvider;
}

/** Injection token of the options given to `RedisCacheOpenTelemetry.register()`. */
export const REDIS_CACHE_OTEL_OPTIONS = Symbol('nestjs-readthrough:otel-options');

/** The instrumentation scope name of the meter and the tracer. */
export const INSTRUMENTATION_SCOPE = 'nestjs-readthrough';

/**
 * Bucket bounds of `cache.load.duration`, in seconds: the ones the OpenTelemetry HTTP semantic
 * conventions advise for request durations, which loads (a database or an upstream call) resemble.
 */
export const LOAD_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

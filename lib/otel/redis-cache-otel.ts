import {
  Inject,
  Injectable,
  Optional,
  type FactoryProvider,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import {
  metrics,
  SpanStatusCode,
  trace,
  ValueType,
  type Attributes,
  type BatchObservableCallback,
  type Counter,
  type Histogram,
  type Meter,
  type ObservableGauge,
  type Tracer,
} from '@opentelemetry/api';
import type { Subscription } from 'rxjs';
import { RedisPoolService } from '../connection/redis-pool.service.js';
import type { CacheEventOrigin, RedisCacheEvent } from '../events/cache-event.types.js';
import { CacheEventsHub } from '../events/cache-events.hub.js';
import { RedisCacheService } from '../redis-cache.service.js';
import {
  INSTRUMENTATION_SCOPE,
  LOAD_DURATION_BUCKETS,
  REDIS_CACHE_OTEL_OPTIONS,
  type RedisCacheOpenTelemetryOptions,
} from './redis-cache-otel.options.js';

const BREAKER_STATES = ['closed', 'open', 'half-open'] as const;
const RESULTS = { hit: 'hit', 'stale-hit': 'stale', miss: 'miss' } as const;

/**
 * OpenTelemetry metrics (and, with `spans: true`, load spans) for one application's cache, from
 * `RedisCacheService.events$`. There are no semantic conventions for caches yet: the names live
 * under `cache.`, durations are in seconds, errors carry `error.type` (the error's class), as the
 * conventions do elsewhere. Attributes are `cache.namespace` and `cache.label` (the method or
 * route), never a key, a value or an error message.
 *
 * | instrument | kind | unit | attributes |
 * | --- | --- | --- | --- |
 * | `cache.requests` | counter | `{request}` | `cache.result`: `hit`, `stale`, `miss` |
 * | `cache.l1.hits` | counter | `{request}` | (hits answered in-process; also in `cache.requests`) |
 * | `cache.load.duration` | histogram | `s` | `error.type` when the method threw |
 * | `cache.store.errors` | counter | `{error}` | `cache.operation`: `read`, `write`; `error.type` |
 * | `cache.entries.refused` | counter | `{entry}` | `cache.refusal.reason` |
 * | `cache.breaker.state` | gauge | `1` | `cache.breaker.state`: 1 for the current state, 0 for the others |
 * | `cache.l1.size` | gauge | `{entry}` | (only with an L1) |
 *
 * @example
 * // next to RedisCacheModule.forRoot(...), in the same module:
 * providers: [RedisCacheOpenTelemetry.register({ spans: true })]
 */
@Injectable()
export class RedisCacheOpenTelemetry implements OnModuleInit, OnApplicationShutdown {
  private readonly options: RedisCacheOpenTelemetryOptions;
  private subscription: Subscription | undefined;
  private gauges: { callback: BatchObservableCallback; observables: ObservableGauge[] } | undefined;
  private meter!: Meter;
  private requests!: Counter;
  private l1Hits!: Counter;
  private loadDuration!: Histogram;
  private storeErrors!: Counter;
  private refused!: Counter;

  constructor(
    private readonly cache: RedisCacheService,
    private readonly pool: RedisPoolService,
    private readonly hub: CacheEventsHub,
    @Optional() @Inject(REDIS_CACHE_OTEL_OPTIONS) options?: RedisCacheOpenTelemetryOptions,
  ) {
    this.options = options ?? {};
  }

  /**
   * A provider with options, for `providers` (the class alone means all defaults).
   *
   * @example
   * providers: [RedisCacheOpenTelemetry.register({ spans: true, meterProvider })]
   */
  static register(options: RedisCacheOpenTelemetryOptions = {}): FactoryProvider<RedisCacheOpenTelemetry> {
    return {
      provide: RedisCacheOpenTelemetry,
      useFactory: (cache: RedisCacheService, pool: RedisPoolService, hub: CacheEventsHub) =>
        new RedisCacheOpenTelemetry(cache, pool, hub, options),
      inject: [RedisCacheService, RedisPoolService, CacheEventsHub],
    };
  }

  onModuleInit(): void {
    const meter = (this.options.meterProvider ?? metrics.getMeterProvider()).getMeter(INSTRUMENTATION_SCOPE);
    this.meter = meter;
    const int = { valueType: ValueType.INT };
    this.requests = meter.createCounter('cache.requests', {
      ...int,
      unit: '{request}',
      description: 'Cache lookups by result',
    });
    this.l1Hits = meter.createCounter('cache.l1.hits', {
      ...int,
      unit: '{request}',
      description: 'Hits answered by the in-process L1',
    });
    this.loadDuration = meter.createHistogram('cache.load.duration', {
      unit: 's',
      description: 'Duration of the cached method, handler or factory on a miss or a refresh',
      advice: { explicitBucketBoundaries: LOAD_DURATION_BUCKETS },
    });
    this.storeErrors = meter.createCounter('cache.store.errors', {
      ...int,
      unit: '{error}',
      description: 'Failed store reads and writes',
    });
    this.refused = meter.createCounter('cache.entries.refused', {
      ...int,
      unit: '{entry}',
      description: 'Stored entries refused by the codec',
    });
    this.observeGauges(meter);
    this.subscription = this.cache.events$.subscribe((event) => this.record(event));
    if (this.options.spans) {
      const tracer = (this.options.tracerProvider ?? trace.getTracerProvider()).getTracer(INSTRUMENTATION_SCOPE);
      this.hub.traceLoad = (origin, load) => traced(tracer, origin, load);
    }
  }

  onApplicationShutdown(): void {
    this.subscription?.unsubscribe();
    this.subscription = undefined;
    if (this.gauges) this.meter.removeBatchObservableCallback(this.gauges.callback, this.gauges.observables);
    this.gauges = undefined;
    this.hub.traceLoad = undefined;
  }

  private record(event: RedisCacheEvent): void {
    switch (event.type) {
      case 'hit':
      case 'stale-hit':
      case 'miss':
        this.requests.add(1, { ...origin(event), 'cache.result': RESULTS[event.type] });
        return;
      case 'l1-hit':
        this.l1Hits.add(1, origin(event));
        return;
      case 'load': {
        const attributes: Attributes = origin(event);
        // No class name travels with a failed load's event: `_OTHER`, as the conventions say.
        if (event.outcome === 'error') attributes['error.type'] = '_OTHER';
        this.loadDuration.record(event.durationMs / 1_000, attributes);
        return;
      }
      case 'store-error':
        this.storeErrors.add(1, {
          ...origin(event),
          'cache.operation': event.operation,
          'error.type': event.errorName,
        });
        return;
      case 'refused-entry':
        this.refused.add(1, { ...origin(event), 'cache.refusal.reason': event.reason });
        return;
      default:
        return;
    }
  }

  /** The breaker state and the L1 size, read when the SDK collects (nothing runs between collections). */
  private observeGauges(meter: Meter): void {
    const breaker = meter.createObservableGauge('cache.breaker.state', {
      valueType: ValueType.INT,
      unit: '1',
      description: 'Circuit breaker state of the cache connection: 1 for the current state, 0 for the others',
    });
    const l1Size = meter.createObservableGauge('cache.l1.size', {
      valueType: ValueType.INT,
      unit: '{entry}',
      description: 'Entries held by the in-process L1',
    });
    const callback: BatchObservableCallback = (result) => {
      const state = this.pool.circuitState;
      for (const each of BREAKER_STATES)
        result.observe(breaker, each === state ? 1 : 0, { 'cache.breaker.state': each });
      const size = this.cache.stats().l1Size;
      if (size !== undefined) result.observe(l1Size, size);
    };
    meter.addBatchObservableCallback(callback, [breaker, l1Size]);
    this.gauges = { callback, observables: [breaker, l1Size] };
  }
}

function origin(event: CacheEventOrigin): Attributes {
  return { 'cache.namespace': event.namespace, 'cache.label': event.label };
}

/**
 * Runs `load` in an active span `cache.load <label>`. A failure sets the span's status and
 * `error.type` to the error's class, never its message (it may echo arguments or a value).
 */
async function traced<T>(tracer: Tracer, from: CacheEventOrigin, load: () => Promise<T> | T): Promise<T> {
  return tracer.startActiveSpan(`cache.load ${from.label}`, { attributes: origin(from) }, async (span) => {
    try {
      return await load();
    } catch (error) {
      span.setStatus({ code: SpanStatusCode.ERROR });
      span.setAttribute('error.type', error instanceof Error ? error.name : '_OTHER');
      throw error;
    } finally {
      span.end();
    }
  });
}

import { Inject, Injectable } from '@nestjs/common';
// The one import of @nestjs/terminus in the package: only this subpath loads it.
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { RedisPoolService } from '../connection/redis-pool.service.js';
import { InvalidRedisCacheOptionsError } from '../errors/invalid-redis-cache-options.error.js';
import type { ResolvedRedisCacheOptions } from '../options/resolved-redis-cache-options.interface.js';
import { RESOLVED_REDIS_CACHE_OPTIONS } from '../redis-cache.constants.js';
import { toMilliseconds } from '../utils/duration.util.js';
import { describeError } from '../utils/redact.util.js';
import type { RedisCacheHealthCheckOptions, RedisCacheHealthDetails } from './redis-cache-health.interface.js';

/** Key of the result when the caller names none. */
const DEFAULT_KEY = 'redis-cache';
/** Bound of the PING when the caller gives none: long enough for a loaded server, short for a probe. */
const DEFAULT_TIMEOUT_MS = 1_000;

/**
 * `@nestjs/terminus` health indicator of the cache connection: `up` when the connection is ready
 * and a `PING` answers within a bound, with its latency and the circuit breaker state; `down`,
 * never an exception, while Redis is unreachable, paused or skipped by an open breaker (terminus
 * answers 503 with the details). With `store: 'memory'` it is always up.
 *
 * Add it to the `providers` of a module that imports `TerminusModule` and sees
 * `RedisCacheModule` (the same module, or `RedisCacheModule.forRoot({ isGlobal: true, ... })`).
 *
 * A down cache does not stop the app from answering (cached methods and routes run uncached
 * while Redis is away), so think twice before wiring it into a readiness probe: every replica
 * would leave the load balancer at once, for an outage they all survive.
 *
 * @example
 * import { RedisCacheHealthIndicator } from 'nestjs-readthrough/terminus';
 *
 * @Controller('health')
 * class HealthController {
 *   constructor(private readonly health: HealthCheckService, private readonly cache: RedisCacheHealthIndicator) {}
 *
 *   @Get() @HealthCheck()
 *   check() {
 *     return this.health.check([() => this.cache.isHealthy('redis-cache', { timeout: '500ms' })]);
 *   }
 * }
 *
 * @Module({ imports: [TerminusModule, RedisCacheModule.forRoot({ url })], controllers: [HealthController], providers: [RedisCacheHealthIndicator] })
 * class AppModule {}
 */
@Injectable()
export class RedisCacheHealthIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    private readonly pool: RedisPoolService,
    @Inject(RESOLVED_REDIS_CACHE_OPTIONS) private readonly options: ResolvedRedisCacheOptions,
  ) {}

  /**
   * Checks the cache connection once. Resolves within the bound (`timeout`, or the module's
   * `operationTimeout` if shorter) even when Redis is paused; rejects only for an invalid
   * `timeout`.
   *
   * @param key the key of the result in terminus' `info` / `error` / `details`
   * @example await indicator.isHealthy() // { 'redis-cache': { status: 'up', store: 'redis', breaker: 'closed', latencyMs: 0.3, timeoutMs: 300 } }
   */
  async isHealthy<const Key extends string = 'redis-cache'>(
    key: Key = DEFAULT_KEY as Key,
    options: RedisCacheHealthCheckOptions = {},
  ): Promise<HealthIndicatorResult<Key, 'up' | 'down', RedisCacheHealthDetails>> {
    const requestedMs = checkTimeout(options.timeout);
    const session = this.health.check(key);
    if (this.options.store === 'memory') return session.up<RedisCacheHealthDetails>({ store: 'memory' });
    if (typeof this.options.store === 'object') return session.up<RedisCacheHealthDetails>({ store: 'custom' });
    const timeoutMs = Math.min(requestedMs, this.options.operationTimeoutMs);
    const down = (message: string): HealthIndicatorResult<Key, 'down', RedisCacheHealthDetails> =>
      session.down<RedisCacheHealthDetails>({ store: 'redis', breaker: this.pool.circuitState, timeoutMs, message });
    // node-redis refuses commands while it reconnects: say so rather than report its error.
    if (!this.pool.isReady) return down('the Redis connection is not ready (reconnecting in the background)');
    const started = performance.now();
    const failure = await pingWithin(this.pool, timeoutMs);
    const latencyMs = Math.round((performance.now() - started) * 10) / 10;
    if (failure !== undefined) return down(failure);
    return session.up<RedisCacheHealthDetails>({
      store: 'redis',
      breaker: this.pool.circuitState,
      latencyMs,
      timeoutMs,
    });
  }
}

/**
 * PINGs through the cache's command lane (bounded by operationTimeout, counted by the breaker,
 * skipped while it is open: the check sees what cache calls see) and races it against
 * `timeoutMs` from the call, since a PING queued behind a full window only starts the lane's
 * deadline when it is written. Resolves the failure, or undefined when Redis answered.
 */
async function pingWithin(pool: RedisPoolService, timeoutMs: number): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<string>((resolve) => {
    timer = setTimeout(resolve, timeoutMs, `PING did not answer within ${timeoutMs} ms`);
    timer.unref();
  });
  const answered = Promise.resolve()
    .then(() => pool.ping())
    .then(
      () => undefined,
      (error: unknown) => `PING failed: ${describeError(error)}`,
    );
  try {
    return await Promise.race([answered, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

function checkTimeout(timeout: RedisCacheHealthCheckOptions['timeout']): number {
  if (timeout === undefined) return DEFAULT_TIMEOUT_MS;
  const ms = toMilliseconds(timeout);
  if (ms === undefined || ms <= 0) {
    throw new InvalidRedisCacheOptionsError(
      'RedisCacheHealthIndicator.isHealthy: timeout',
      `${JSON.stringify(timeout)} is not a positive duration`,
      "pass milliseconds or a duration string such as '500ms' or '2s'",
    );
  }
  return ms;
}

import type { Logger } from '@nestjs/common';
import { RedisCacheConnectionError } from '../errors/redis-cache-connection.error.js';
import type { CacheEventsHub } from '../events/cache-events.hub.js';
import type { ResolvedRedisCacheOptions } from '../options/resolved-redis-cache-options.interface.js';
import { CircuitBreaker, type CircuitState } from '../utils/circuit-breaker.util.js';

/**
 * The command lane's circuit breaker (`undefined` when `circuitBreaker` is off), wired to say
 * what it does: a warning and a `breaker-open` event when it opens, a log line and
 * `breaker-closed` when a probe succeeds. `rejectWaiting` fails the commands still queued when
 * it opens: they would only be written to the Redis the breaker just gave up on.
 */
export function createLaneBreaker(
  options: ResolvedRedisCacheOptions,
  logger: Logger,
  events: CacheEventsHub | undefined,
  rejectWaiting: (error: RedisCacheConnectionError) => void,
): CircuitBreaker | undefined {
  const breakerOptions = options.circuitBreaker;
  if (!breakerOptions) return undefined;
  const onChange = (state: CircuitState, previous: CircuitState): void => {
    if (state === 'open') {
      logger.warn(
        `Circuit breaker open (was ${previous}): skipping Redis for ${breakerOptions.cooldownMs} ms, calls run uncached`,
      );
      rejectWaiting(breakerOpen('queued commands'));
      if (previous !== 'open') events?.emit({ type: 'breaker-open', previous });
    } else if (state === 'closed') {
      logger.log(`Circuit breaker closed: Redis answered the probe, caching resumes`);
      events?.emit({ type: 'breaker-closed' });
    }
  };
  return new CircuitBreaker(breakerOptions.failureThreshold, breakerOptions.cooldownMs, onChange);
}

/** The error of a command the open breaker kept from Redis; `name` says which. */
export function breakerOpen(name: string): RedisCacheConnectionError {
  return new RedisCacheConnectionError(`Redis skipped: circuit breaker open after repeated failures (${name})`);
}

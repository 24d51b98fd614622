import type { CircuitState } from '../utils/circuit-breaker.util.js';
import type { Duration } from '../utils/duration.util.js';

/** Options of one {@link RedisCacheHealthIndicator.isHealthy} call. */
export interface RedisCacheHealthCheckOptions {
  /**
   * How long the `PING` may take before the check reports `down`. The PING also goes through
   * the cache's command lane, which bounds it by the module's `operationTimeout`: whichever is
   * shorter decides.
   * @default '1s'
   */
  timeout?: Duration;
}

/**
 * What the indicator reports under its key, next to terminus' `status`. (A type alias, not an
 * interface: terminus' `up()` / `down()` take a `Record<string, unknown>`, which only an alias satisfies.)
 *
 * @example
 * // GET /health while Redis is paused (503):
 * // { "status": "error", "error": { "redis-cache": { "status": "down", "store": "redis",
 * //   "breaker": "closed", "timeoutMs": 1000, "message": "PING did not answer within 300 ms ..." } } }
 */
export type RedisCacheHealthDetails = {
  /**
   * The module's `store`: with `'memory'` there is no connection and the check is always up;
   * `'custom'` (your own `CacheStore`) is not checked here either: add your own indicator for it.
   */
  store: 'redis' | 'memory' | 'custom';
  /**
   * The circuit breaker of the cache connection (`'closed'` when the breaker is turned off).
   * `'open'` means cache calls skip Redis and run uncached, and the check's PING is skipped too.
   * Absent on the memory store.
   */
  breaker?: CircuitState;
  /** Round trip of the PING in milliseconds (0.1 ms resolution); only when it answered. */
  latencyMs?: number;
  /** The bound the PING was given, in milliseconds; on the Redis store. */
  timeoutMs?: number;
  /** Why the check is down (credential-free). */
  message?: string;
};

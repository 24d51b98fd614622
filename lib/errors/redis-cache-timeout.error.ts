import { RedisCacheConnectionError } from './redis-cache-connection.error.js';

/**
 * A cache operation did not finish within `operationTimeout`. It is a connection error,
 * so `instanceof RedisCacheConnectionError` holds for it as well.
 */
export class RedisCacheTimeoutError extends RedisCacheConnectionError {
  static override readonly code = 'E_REDIS_CACHE_TIMEOUT';

  /** The deadline that was exceeded, in milliseconds. */
  readonly timeoutMs: number;

  constructor(operation: string, timeoutMs: number) {
    super(
      `Redis cache operation "${operation}" timed out after ${timeoutMs} ms`,
      undefined,
      RedisCacheTimeoutError.code,
    );
    this.timeoutMs = timeoutMs;
  }
}

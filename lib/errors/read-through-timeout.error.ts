import { RedisCacheError } from './redis-cache.error.js';

/**
 * A caller waited `timeout.hard` for a read-through method and gave up. The method keeps running
 * and its result is still stored, so a later call may be a hit.
 *
 * @example
 * @ReadThrough('report:{0}', '10m', { timeout: { hard: '2s' } })
 * async report(id: string): Promise<Report> { ... } // rejects with ReadThroughTimeoutError after 2 s
 */
export class ReadThroughTimeoutError extends RedisCacheError {
  static readonly code = 'E_REDIS_CACHE_READ_THROUGH_TIMEOUT';

  /** The `timeout.hard` that was exceeded, in milliseconds. */
  readonly timeoutMs: number;

  constructor(label: string, timeoutMs: number) {
    super(
      `${label}: the method did not answer within timeout.hard (${timeoutMs} ms); it keeps running and its result will be stored`,
      ReadThroughTimeoutError.code,
    );
    this.timeoutMs = timeoutMs;
  }
}

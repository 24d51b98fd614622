import { RedisCacheError } from './redis-cache.error.js';

/**
 * Redis could not be reached or answered with an error. With the default `failOpen: true`
 * this is only logged and the decorated method runs uncached; with `failOpen: false` it is
 * thrown to the caller.
 */
export class RedisCacheConnectionError extends RedisCacheError {
  static readonly code: string = 'E_REDIS_CACHE_CONNECTION';

  constructor(message: string, options?: { cause?: unknown }, code = RedisCacheConnectionError.code) {
    super(message, code, options);
  }
}

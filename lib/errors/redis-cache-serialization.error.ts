import { RedisCacheError } from './redis-cache.error.js';

/**
 * A value could not be serialized, or stored bytes could not be decoded (foreign writer,
 * other serializer, corruption, oversize). Reads treat it as a miss; it reaches callers only
 * through `RedisCacheService.set` when the value itself cannot be serialized.
 */
export class RedisCacheSerializationError extends RedisCacheError {
  static readonly code = 'E_REDIS_CACHE_SERIALIZATION';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, RedisCacheSerializationError.code, options);
  }
}

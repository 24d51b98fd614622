import { InvalidRedisCacheOptionsError } from './invalid-redis-cache-options.error.js';
import { RedisCacheConnectionError } from './redis-cache-connection.error.js';
import { RedisCacheSerializationError } from './redis-cache-serialization.error.js';
import { RedisCacheTimeoutError } from './redis-cache-timeout.error.js';
import { SerializerUnavailableError } from './serializer-unavailable.error.js';
import { ReadThroughTimeoutError } from './read-through-timeout.error.js';
import { ReadThroughBindingError } from './read-through-binding.error.js';

/**
 * Every error class by its stable code.
 *
 * @example
 * if (err instanceof errors.E_REDIS_CACHE_TIMEOUT) { ... }
 */
export const errors = {
  E_REDIS_CACHE_INVALID_OPTIONS: InvalidRedisCacheOptionsError,
  E_REDIS_CACHE_CONNECTION: RedisCacheConnectionError,
  E_REDIS_CACHE_TIMEOUT: RedisCacheTimeoutError,
  E_REDIS_CACHE_SERIALIZATION: RedisCacheSerializationError,
  E_REDIS_CACHE_SERIALIZER_UNAVAILABLE: SerializerUnavailableError,
  E_REDIS_CACHE_READ_THROUGH_TIMEOUT: ReadThroughTimeoutError,
  E_REDIS_CACHE_READ_THROUGH_BINDING: ReadThroughBindingError,
} as const;

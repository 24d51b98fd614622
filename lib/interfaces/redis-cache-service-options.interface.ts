// RedisCacheService is imported for the {@link}s only: the service imports these options, not back.
import type { RedisCacheService } from '../redis-cache.service.js';
import type { CacheSerializer } from '../serializers/cache.serializer.js';
import type { Duration } from '../utils/duration.util.js';
import type { ReadThroughOptions } from './read-through-options.interface.js';
import type { SerializerName } from './redis-cache-module-options.interface.js';

/** Options of the single-key methods of {@link RedisCacheService}. */
export interface CacheKeyOptions {
  /** Namespace of the key. @default module `namespace` */
  namespace?: string;
  /** Serializer for this value. @default module `serializer` */
  serializer?: CacheSerializer | SerializerName;
}

/** Options of {@link RedisCacheService.set}. */
export interface CacheSetOptions extends CacheKeyOptions {
  /** Time to live. @default module `ttl` */
  ttl?: Duration;
}

/** Options of {@link RedisCacheService.wrap}: the per-method options, literal `tags`, and `forceFresh`. */
export interface WrapOptions<T> extends ReadThroughOptions<T> {
  /** Run `factory` now and store its result, even if a fresh entry exists. @default false */
  forceFresh?: boolean;
}

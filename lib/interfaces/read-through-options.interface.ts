import type { CacheSerializer } from '../serializers/cache.serializer.js';
import type { Duration } from '../utils/duration.util.js';
import type { SerializerName } from './redis-cache-module-options.interface.js';

/**
 * Per-method options of `@ReadThrough(key, ttl, options)` and of `RedisCacheService.wrap()`.
 * Anything left out falls back to the module options.
 *
 * @typeParam R the resolved result type of the method.
 */
export interface ReadThroughOptions<R = unknown> {
  /** Namespace of the key, `<prefix>:<namespace>:<key>`. @default module `namespace` */
  namespace?: string;
  /** Time to live; the positional `ttl` argument wins when both are given. @default module `ttl` */
  ttl?: Duration;
  /** Serializer of this method's entries. @default module `serializer` */
  serializer?: CacheSerializer | SerializerName;
  /** Store `null` results. @default module `cacheNull` */
  cacheNull?: boolean;
  /** Store the result only when this returns `true`. */
  condition?: (value: R) => boolean;
  /** Do not store the result when this returns `true`. */
  unless?: (value: R) => boolean;
  /**
   * Controller routes only: cache requests that carry `Authorization` or `Cookie` although the
   * key has no user part, because the response is the same for everyone.
   * @default false
   */
  shared?: boolean;
  /** Controller routes only: statuses whose responses are stored. @default module `http.statuses` */
  statuses?: number[];
}

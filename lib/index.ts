// Curated public surface. Internals stay importable by path for tests only.
export { RedisCacheModule } from './redis-cache.module.js';
export type { RedisCacheModuleExtras } from './redis-cache.module-definition.js';
export { RedisCacheService } from './redis-cache.service.js';
export type {
  ReadThroughMethodName,
  ReadThroughMethodArgs,
  ReadThroughMethodResult,
} from './explorer/read-through-method.types.js';
export { RedisPoolService } from './connection/redis-pool.service.js';
export type { RedisExecutionClient } from './connection/redis-pool.service.js';
export { ReadThrough } from './decorators/read-through.decorator.js';
export { CacheEvict } from './decorators/cache-evict.decorator.js';
export type { CacheEvictKey, CacheEvictOptions } from './decorators/cache-evict.decorator.js';
export { CachePut } from './decorators/cache-put.decorator.js';
export { ReadThroughInterceptor } from './http/read-through.interceptor.js';
export type { CacheStatus, CachedResponse } from './http/read-through.interceptor.js';
export type { RoutePolicy } from './http/route-policy.registry.js';
export type { HttpCacheEntry } from './http/http-cache.entry.js';
export type { SentResponse } from './http/response.capture.js';
export type { ReadThroughKey } from './decorators/read-through.decorator.js';
export { CacheSerializer, JsonSerializer, V8Serializer, MsgpackSerializer } from './serializers/index.js';
export { seconds, minutes, hours } from './utils/duration.util.js';
export { CacheStore } from './store/cache.store.js';
export type { InvalidationListener, LockReleaseWatch, WriteStamp } from './store/cache.store.js';
export { CacheClock } from './clock/cache.clock.js';
export type { Duration, DurationString } from './utils/duration.util.js';
export * from './errors/index.js';
export type * from './interfaces/index.js';
export type { ReadThroughStats, CacheStatsSnapshot } from './read-through/read-through.executor.js';
export type { L1Stats } from './l1/l1.types.js';
export type * from './events/cache-event.types.js';

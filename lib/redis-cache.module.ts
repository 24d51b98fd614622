import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { CacheClock } from './clock/cache.clock.js';
import { RedisPoolService } from './connection/redis-pool.service.js';
import { CacheEventsHub } from './events/cache-events.hub.js';
import { CacheEvictor } from './explorer/cache.evictor.js';
import { ReadThroughExplorer } from './explorer/read-through.explorer.js';
import { ReadThroughRegistry } from './explorer/read-through.registry.js';
import { ReadThroughInterceptor } from './http/read-through.interceptor.js';
import { RouteEvictionRegistry } from './http/route-eviction.js';
import { RoutePolicyRegistry } from './http/route-policy.registry.js';
import type { RedisCacheModuleOptions } from './interfaces/redis-cache-module-options.interface.js';
import { resolveRedisCacheOptions } from './options/redis-cache-options.resolver.js';
import type { ResolvedRedisCacheOptions } from './options/resolved-redis-cache-options.interface.js';
import { ReadThroughExecutor } from './read-through/read-through.executor.js';
import { RESOLVED_REDIS_CACHE_OPTIONS } from './redis-cache.constants.js';
import { ConfigurableModuleClass, REDIS_CACHE_MODULE_OPTIONS } from './redis-cache.module-definition.js';
import { RedisCacheService } from './redis-cache.service.js';
import { CacheSerializer } from './serializers/cache.serializer.js';
import { CacheStore } from './store/cache.store.js';
import { MemoryCacheStore } from './store/memory-cache.store.js';
import { RedisCacheStore } from './store/redis-cache.store.js';

/**
 * Read-through caching on Redis for one Nest application.
 *
 * Provides {@link RedisPoolService} (the connections), {@link RedisCacheService} (programmatic
 * API), the `CacheSerializer` in use, and binds every `@ReadThrough` provider method at module
 * init. Options are validated once at bootstrap.
 *
 * @example
 * RedisCacheModule.forRoot({ url: 'redis://localhost:6379', prefix: 'shop', ttl: '5m' })
 *
 * @example
 * RedisCacheModule.forRootAsync({
 *   isGlobal: true,
 *   inject: [ConfigService],
 *   useFactory: (config: ConfigService) => ({ url: config.get('REDIS_URL'), prefix: 'shop' }),
 * })
 */
@Module({
  imports: [DiscoveryModule],
  providers: [
    {
      provide: RESOLVED_REDIS_CACHE_OPTIONS,
      useFactory: (options: RedisCacheModuleOptions) => resolveRedisCacheOptions(options),
      inject: [REDIS_CACHE_MODULE_OPTIONS],
    },
    {
      provide: CacheSerializer,
      useFactory: (options: ResolvedRedisCacheOptions) => options.serializer,
      inject: [RESOLVED_REDIS_CACHE_OPTIONS],
    },
    CacheEventsHub,
    RedisPoolService,
    {
      provide: CacheStore,
      useFactory: (options: ResolvedRedisCacheOptions, redis: RedisPoolService) =>
        typeof options.store === 'object'
          ? options.store
          : options.store === 'memory'
            ? new MemoryCacheStore(options.memory, options.clock)
            : new RedisCacheStore(redis),
      inject: [RESOLVED_REDIS_CACHE_OPTIONS, RedisPoolService],
    },
    {
      provide: CacheClock,
      useFactory: (options: ResolvedRedisCacheOptions) => options.clock,
      inject: [RESOLVED_REDIS_CACHE_OPTIONS],
    },
    ReadThroughExecutor,
    RoutePolicyRegistry,
    ReadThroughRegistry,
    CacheEvictor,
    RouteEvictionRegistry,
    ReadThroughInterceptor,
    ReadThroughExplorer,
    RedisCacheService,
  ],
  // The executor, registries and options are exported for ReadThroughInterceptor, which Nest
  // instantiates in the module of each controller that uses it; the interceptor itself is
  // exported for `app.useGlobalInterceptors(app.get(ReadThroughInterceptor))`.
  exports: [
    RESOLVED_REDIS_CACHE_OPTIONS,
    CacheSerializer,
    RedisPoolService,
    CacheStore,
    CacheClock,
    ReadThroughExecutor,
    RoutePolicyRegistry,
    RouteEvictionRegistry,
    // For CacheProbe (nestjs-readthrough/testing): the codec of a bound method's entries.
    ReadThroughRegistry,
    ReadThroughInterceptor,
    RedisCacheService,
    // For nestjs-readthrough/otel (spans around loads); not part of the public API.
    CacheEventsHub,
  ],
})
export class RedisCacheModule extends ConfigurableModuleClass {}

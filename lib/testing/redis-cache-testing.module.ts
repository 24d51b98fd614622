import { Module, type DynamicModule } from '@nestjs/common';
import type { RedisCacheModuleOptions } from '../interfaces/redis-cache-module-options.interface.js';
import type { ResolvedRedisCacheOptions } from '../options/resolved-redis-cache-options.interface.js';
import { RESOLVED_REDIS_CACHE_OPTIONS } from '../redis-cache.constants.js';
import { RedisCacheModule } from '../redis-cache.module.js';
import { CacheProbe } from './cache.probe.js';
import { TestClock } from './test.clock.js';

/** Options of {@link RedisCacheTestingModule.forRoot}: the module's options, without `store` and `clock`, which it sets. */
export type RedisCacheTestingOptions = Omit<RedisCacheModuleOptions, 'store' | 'clock'> & {
  /** Register globally, like `RedisCacheModule.forRoot({ isGlobal: true })`. @default false */
  isGlobal?: boolean;
  /** Where the {@link TestClock} starts, in epoch milliseconds. @default the real time at bootstrap */
  startAt?: number;
};

/**
 * `RedisCacheModule` for tests: the memory store (the same semantics as Redis: TTLs, grace,
 * tags, fenced writes, locks), a {@link TestClock} driving it, and a {@link CacheProbe}. Import
 * it where the application imports `RedisCacheModule`; every `@ReadThrough`, route and
 * `RedisCacheService` call then runs in process, with time under the test's control.
 *
 * Each application compiled from it gets its own store and clock.
 *
 * @example
 * const moduleRef = await Test.createTestingModule({
 *   imports: [RedisCacheTestingModule.forRoot({ ttl: '1m' })],
 *   providers: [BooksService],
 * }).compile();
 * await moduleRef.init();
 * const clock = moduleRef.get(TestClock);
 * const probe = moduleRef.get(CacheProbe);
 */
@Module({})
export class RedisCacheTestingModule {
  /** The testing module; `options` as for `RedisCacheModule.forRoot()`, except `store` and `clock`. */
  static forRoot(options: RedisCacheTestingOptions = {}): DynamicModule {
    const { isGlobal = false, startAt, ...cacheOptions } = options;
    // forRootAsync: the factory runs per application, so two apps never share a clock or a store.
    const cache = RedisCacheModule.forRootAsync({
      isGlobal,
      useFactory: (): RedisCacheModuleOptions => ({ ...cacheOptions, store: 'memory', clock: new TestClock(startAt) }),
    });
    return {
      module: RedisCacheTestingModule,
      global: isGlobal,
      imports: [cache],
      providers: [
        {
          provide: TestClock,
          useFactory: (resolved: ResolvedRedisCacheOptions) => resolved.clock,
          inject: [RESOLVED_REDIS_CACHE_OPTIONS],
        },
        CacheProbe,
      ],
      exports: [cache, TestClock, CacheProbe],
    };
  }
}

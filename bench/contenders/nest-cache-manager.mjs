// @nestjs/cache-manager (cache-manager v7 on Keyv) with @keyv/redis, set up the way Nest users
// do: a Nest application context, CacheModule.register({ stores: [createKeyv(url)] }) as in
// @keyv/redis's "Using with NestJS" section, and a service that reads through with
// `cache.wrap(key, factory, ttl)`, cache-manager's documented read-through call.
//
// Decorators are applied by hand because bench/ is plain JavaScript.
import { Inject, Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { CACHE_MANAGER, CacheModule } from '@nestjs/cache-manager';
import { createKeyv } from '@keyv/redis';
import { KEY_COUNT, TTL_MS, makeValue, sameValue } from '../lib/workload.mjs';

const NAME = '@nestjs/cache-manager + @keyv/redis';

export const nestCacheManager = {
  name: NAME,
  note: 'read-through via cache.wrap(key, fn, ttl)',
  async setup({ url }) {
    const counters = { misses: 0 };

    class CmItemService {
      constructor(cache) {
        this.cache = cache;
      }

      async get(id) {
        return this.cache.wrap(
          `cm:item:${id}`,
          async () => {
            counters.misses++;
            return makeValue(id);
          },
          TTL_MS,
        );
      }
    }
    Injectable()(CmItemService);
    Inject(CACHE_MANAGER)(CmItemService, undefined, 0);

    class CmAppModule {}
    Module({
      imports: [CacheModule.register({ stores: [createKeyv(url)] })],
      providers: [CmItemService],
    })(CmAppModule);

    const app = await NestFactory.createApplicationContext(CmAppModule, { logger: false });
    const service = app.get(CmItemService);
    const cache = app.get(CACHE_MANAGER);

    for (let id = 0; id < KEY_COUNT; id++) await cache.del(`cm:item:${id}`);
    for (let id = 0; id < KEY_COUNT; id++) await service.get(id);
    if (counters.misses !== KEY_COUNT)
      throw new Error(`${NAME}: warm-up computed ${counters.misses} values, expected ${KEY_COUNT}`);
    if (!sameValue(await service.get(42), makeValue(42))) throw new Error(`${NAME}: round trip changed the value`);

    return {
      get: (id) => service.get(id),
      misses: () => counters.misses - KEY_COUNT,
      async close() {
        await app.close(); // runs the cache manager's onModuleDestroy -> store.disconnect()
      },
    };
  },
};

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
import { TTL_MS, makeValue } from '../lib/workload.mjs';

export default {
  id: 'cache-manager',
  name: '@nestjs/cache-manager + @keyv/redis',
  order: 20,
  note:
    'Nest application context, `CacheModule.register({ stores: [createKeyv(url)] })` (the setup in @keyv/redis\'s "Using with NestJS"), ' +
    'a service calling `cache.wrap(key, factory, ttl)`; @keyv/redis brings its own `@redis/client` 5.x, which has no default per-command timeout',
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
    return {
      get: (id) => service.get(id),
      misses: () => counters.misses,
      async close() {
        await app.close(); // runs the cache manager's onModuleDestroy -> store.disconnect()
      },
    };
  },
};

/**
 * The store conformance suite (nestjs-readthrough/testing) on the Redis store, through the
 * module's own RedisPoolService on a private redis-server: the contract is Redis behaviour
 * (PX expiry, Lua fences, SET NX locks, PUBLISH), so nothing is mocked. The memory store runs it
 * in test/unit/testing/store-conformance.memory.spec.ts.
 */
import 'reflect-metadata';
import { Test } from '@nestjs/testing';
import { CapturingLogger } from '@nestjs/testing';
import { CacheStore, RedisCacheModule } from '../../lib/index.js';
import { describeCacheStoreConformance } from '../../lib/testing/index.js';
import { uniquePrefix, useTestRedis } from '../helpers/test-redis.js';

const redis = useTestRedis();

describeCacheStoreConformance(
  'RedisCacheStore',
  async () => {
    const ref = await Test.createTestingModule({
      imports: [RedisCacheModule.forRoot({ url: redis.url(), prefix: uniquePrefix('conformance') })],
    })
      .setLogger(new CapturingLogger())
      .compile();
    await ref.init();
    const store = ref.get(CacheStore);
    if (store.kind !== 'redis') throw new Error(`expected the Redis store, got ${store.kind}`);
    return { store, close: () => ref.close() };
  },
  { keyPrefix: uniquePrefix('conformance') },
);

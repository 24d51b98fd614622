export * from './serializer-conformance.suite.js';
export { RedisCacheTestingModule, type RedisCacheTestingOptions } from './redis-cache-testing.module.js';
export { TestClock } from './test.clock.js';
export { CacheProbe, type CacheProbeRecording } from './cache.probe.js';
export {
  STORE_CONFORMANCE_CASES,
  assertCacheStoreConformance,
  describeCacheStoreConformance,
  type ConformanceTestFramework,
  type ConformingStore,
  type StoreConformanceCase,
  type StoreConformanceContext,
  type StoreConformanceOptions,
} from './store-conformance.suite.js';

/**
 * The store conformance suite (nestjs-readthrough/testing) on the memory store (real clock: the
 * cases sleep past short TTLs). The Redis store runs it in test/e2e/store-conformance.e2e.spec.ts;
 * that stores breaking the contract fail it: store-conformance.honesty.spec.ts.
 */
import { MemoryCacheStore } from '../../../lib/store/memory-cache.store.js';
import { describeCacheStoreConformance } from '../../../lib/testing/index.js';

describeCacheStoreConformance('MemoryCacheStore', async () => ({
  store: new MemoryCacheStore({ maxEntries: 10_000, maxBytes: 64 * 1024 * 1024 }),
  close: async () => undefined,
}));

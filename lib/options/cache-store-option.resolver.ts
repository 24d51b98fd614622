import { SYSTEM_CLOCK, type CacheClock } from '../clock/cache.clock.js';
import { InvalidRedisCacheOptionsError } from '../errors/invalid-redis-cache-options.error.js';
import type { CacheStore } from '../store/cache.store.js';

/** The methods a custom store must have: the abstract members of {@link CacheStore}. */
const STORE_METHODS = [
  'get',
  'getText',
  'set',
  'delete',
  'has',
  'ttl',
  'deleteByPrefix',
  'prepareWrite',
  'setIfUnchanged',
  'deleteMarker',
  'getTagVersions',
  'prepareTags',
  'extendTags',
  'deleteTags',
  'acquireLock',
  'releaseLock',
  'renewLock',
  'announceLockRelease',
  'watchLockReleases',
] as const satisfies readonly (keyof CacheStore)[];

/**
 * Validates `store`: `'redis'`, `'memory'`, or an object with every {@link CacheStore} method.
 * Checked by shape, not `instanceof`: a store built against the other module system's copy of
 * this package (ESM vs CommonJS) is still a store.
 *
 * @example resolveStoreOption(new MyStore()) // the store itself
 */
export function resolveStoreOption(value: unknown): 'redis' | 'memory' | CacheStore {
  if (value === 'redis' || value === 'memory') return value;
  if (typeof value !== 'object' || value === null) {
    throw new InvalidRedisCacheOptionsError(
      'store',
      `unknown store ${JSON.stringify(value)}`,
      "use 'redis', 'memory' or an instance of a class extending CacheStore",
    );
  }
  const store = value as Record<string, unknown>;
  const missing = STORE_METHODS.filter((name) => typeof store[name] !== 'function');
  if (typeof store.kind !== 'string' || store.kind === '') missing.unshift('kind' as never);
  if (missing.length > 0) {
    throw new InvalidRedisCacheOptionsError(
      'store',
      `the custom store lacks ${missing.join(', ')}`,
      'extend CacheStore (exported by nestjs-readthrough) and implement every abstract member',
    );
  }
  return value as CacheStore;
}

/** Validates `clock`: omitted is `Date.now`; else an object with a `now()` method. */
export function resolveClockOption(value: unknown): CacheClock {
  if (value === undefined) return SYSTEM_CLOCK;
  if (typeof value !== 'object' || value === null || typeof (value as { now?: unknown }).now !== 'function') {
    throw new InvalidRedisCacheOptionsError(
      'clock',
      'expected an object with a now() method',
      'pass a CacheClock (e.g. a TestClock from nestjs-readthrough/testing) or leave clock out',
    );
  }
  return value as CacheClock;
}

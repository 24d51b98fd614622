import type { RedisCacheModuleOptions } from '../interfaces/redis-cache-module-options.interface.js';
import { DEFAULTS, L1_DEFAULTS } from './redis-cache-options.defaults.js';
import type { ResolvedL1Options } from './resolved-redis-cache-options.interface.js';
import { describe, fail, resolveBoolean, resolveInteger, resolveTtl } from './option-checks.util.js';

/** Validates `l1`: false, true (defaults) or `{ maxEntries, maxBytes, ttl, shareValues }`; refused where it cannot be kept coherent (sentinel replica reads). */
export function resolveL1(raw: RedisCacheModuleOptions): ResolvedL1Options | false {
  const value = raw.l1 ?? DEFAULTS.l1;
  if (value === false) return false;
  if (value !== true && (typeof value !== 'object' || value === null)) {
    fail(
      'l1',
      `expected true, false or { maxEntries, maxBytes, ttl, shareValues }, got ${describe(value)}`,
      'use l1: true',
    );
  }
  if ((raw.sentinel?.replicaPoolSize ?? 0) > 0) {
    // The L1 hears the master (broadcast tracking); a replica answers a read with what it has
    // replicated so far, so a read there after the master's push could hold an old value for good.
    fail(
      'l1',
      'with sentinel.replicaPoolSize the cache reads from replicas, which can answer with a value older than the change the master already reported, and the L1 would keep it',
      'use l1 without replicaPoolSize (reads from the master), or leave l1 off',
    );
  }
  const options = value === true ? {} : value;
  return {
    maxEntries: resolveInteger('l1.maxEntries', options.maxEntries ?? L1_DEFAULTS.maxEntries, 1, 1e8),
    maxBytes: resolveInteger('l1.maxBytes', options.maxBytes ?? L1_DEFAULTS.maxBytes, 1024, Number.MAX_SAFE_INTEGER),
    ttlMs: options.ttl === undefined ? 0 : resolveTtl('l1.ttl', options.ttl),
    shareValues: resolveBoolean('l1.shareValues', options.shareValues ?? L1_DEFAULTS.shareValues),
  };
}

import type { RedisCacheModuleOptions } from '../interfaces/redis-cache-module-options.interface.js';
import { DEFAULTS, L1_DEFAULTS } from './redis-cache-options.defaults.js';
import type { ResolvedL1Options } from './resolved-redis-cache-options.interface.js';
import { describe, fail, resolveBoolean, resolveInteger, resolveTtl } from './option-checks.util.js';

/** Validates `l1`: false, true (defaults) or `{ maxEntries, maxBytes, ttl, shareValues }`; refused where it cannot be coherent. */
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
  if (raw.cluster !== undefined || raw.sentinel !== undefined) {
    fail(
      'l1',
      'the L1 is kept coherent by client tracking on one connection, which this library does not run per cluster node or across a sentinel failover yet',
      'remove l1 on cluster and sentinel connections (use it with a standalone Redis)',
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

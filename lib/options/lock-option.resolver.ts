import type { ReadThroughLockOptions } from '../interfaces/read-through-options.interface.js';
import { describe, fail, resolveDuration } from './option-checks.util.js';
import { LIMITS, LOCK_DEFAULTS } from './redis-cache-options.defaults.js';
import type { ResolvedLockOptions } from './resolved-redis-cache-options.interface.js';

/** Validates `lock`: false, true (defaults) or `{ ttl, wait }`. */
export function resolveLock(field: string, value: unknown): ResolvedLockOptions | false {
  if (value === false) return false;
  if (value !== true && (typeof value !== 'object' || value === null)) {
    fail(
      field,
      `expected true, false or { ttl, wait }, got ${describe(value)}`,
      "use lock: true or lock: { ttl: '5s', wait: '5s' }",
    );
  }
  const options: ReadThroughLockOptions = value === true ? {} : (value as ReadThroughLockOptions);
  return {
    ttlMs: resolveDuration(`${field}.ttl`, options.ttl ?? LOCK_DEFAULTS.ttl, {
      min: 10,
      max: LIMITS.maxOperationTimeoutMs * 10,
    }),
    waitMs: resolveDuration(`${field}.wait`, options.wait ?? LOCK_DEFAULTS.wait, {
      min: 0,
      max: LIMITS.maxOperationTimeoutMs * 10,
    }),
  };
}

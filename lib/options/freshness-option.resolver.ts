import { describe, fail, resolveDuration } from './option-checks.util.js';
import { LIMITS } from './redis-cache-options.defaults.js';

/** Validates a stale-while-revalidate grace: 0 (off) up to the TTL limit. */
export function resolveGrace(field: string, value: unknown): number {
  return resolveDuration(field, value, { min: 0, max: LIMITS.maxTtlMs });
}

/** Validates `earlyRefresh`: false/0 = off, true = beta 1, or a beta from 0 to 10. */
export function resolveEarlyRefresh(field: string, value: unknown): number {
  if (value === false) return 0;
  if (value === true) return 1;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 10) {
    fail(
      field,
      `${describe(value)} is not a valid early refresh`,
      'use true, false, or a beta from 0 to 10 (1 is the usual choice)',
    );
  }
  return value;
}

import { InvalidRedisCacheOptionsError } from '../errors/invalid-redis-cache-options.error.js';
import { toMilliseconds } from '../utils/duration.util.js';
import { LIMITS } from './redis-cache-options.defaults.js';

// The small checks every option resolver shares; each failure names the field and the fix.

/** Validates a boolean option. */
export function resolveBoolean(field: string, value: unknown): boolean {
  if (typeof value !== 'boolean')
    fail(field, `expected true or false, got ${describe(value)}`, `set ${field} to a boolean`);
  return value;
}

/** Validates a duration within `range` (ms), naming `field` in the error. */
export function resolveDuration(field: string, value: unknown, range: { min: number; max: number }): number {
  const ms = toMilliseconds(value);
  if (ms === undefined) {
    fail(
      field,
      `${describe(value)} is not a duration`,
      "use milliseconds as a number or a string such as '250ms', '30s', '5m', '1h', '1d'",
    );
  }
  if (ms < range.min || ms > range.max) {
    fail(field, `${describe(value)} is out of range`, `use a value from ${range.min} ms to ${range.max} ms`);
  }
  return ms;
}

/** Validates an integer from `min` to `max`. */
export function resolveInteger(field: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    fail(
      field,
      `${describe(value)} is not an integer from ${min} to ${max}`,
      `set ${field} to a whole number in that range`,
    );
  }
  return value;
}

/** A value as an error message shows it. */
export function describe(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

/** Throws {@link InvalidRedisCacheOptionsError} for `field`. */
export function fail(field: string, problem: string, fix: string): never {
  throw new InvalidRedisCacheOptionsError(field, problem, fix);
}

/** Validates a time to live (module or per method): > 0 and at most 365 days. */
export function resolveTtl(field: string, value: unknown): number {
  return resolveDuration(field, value, { min: 1, max: LIMITS.maxTtlMs });
}

/**
 * Validates `missingKeyValue` (`@ReadThrough`, `@CachePut`, `@CacheEvict`): `undefined` stays
 * `undefined` (the default, `'bypass'`, applies). `fix` says which value to pick.
 */
export function resolveMissingKeyValue(
  field: string,
  value: unknown,
  fix = "use 'bypass' (the default) or 'empty'",
): 'bypass' | 'empty' | undefined {
  if (value !== undefined && value !== 'bypass' && value !== 'empty')
    fail(field, `expected 'bypass' or 'empty', got ${describe(value)}`, fix);
  return value;
}

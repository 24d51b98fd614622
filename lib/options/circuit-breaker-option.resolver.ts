import type { RedisCacheModuleOptions } from '../interfaces/redis-cache-module-options.interface.js';
import { describe, fail, resolveDuration, resolveInteger } from './option-checks.util.js';
import { DEFAULTS, LIMITS } from './redis-cache-options.defaults.js';
import type { ResolvedRedisCacheOptions } from './resolved-redis-cache-options.interface.js';

/**
 * Validates `circuitBreaker`: false (off), omitted (defaults) or `{ failureThreshold, cooldown }`.
 *
 * @example resolveCircuitBreaker({ cooldown: '2s' }) // { failureThreshold: 5, cooldownMs: 2000 }
 */
export function resolveCircuitBreaker(
  raw: RedisCacheModuleOptions['circuitBreaker'],
): ResolvedRedisCacheOptions['circuitBreaker'] {
  if (raw === false) return false;
  if (raw !== undefined && (typeof raw !== 'object' || raw === null)) {
    fail(
      'circuitBreaker',
      `expected an object or false, got ${describe(raw)}`,
      "use { failureThreshold: 5, cooldown: '1s' } or false",
    );
  }
  return {
    failureThreshold: resolveInteger(
      'circuitBreaker.failureThreshold',
      raw?.failureThreshold ?? DEFAULTS.circuitBreaker.failureThreshold,
      1,
      1_000_000,
    ),
    cooldownMs: resolveDuration('circuitBreaker.cooldown', raw?.cooldown ?? DEFAULTS.circuitBreaker.cooldown, {
      min: 1,
      max: LIMITS.maxOperationTimeoutMs * 10,
    }),
  };
}

import type { RedisCacheModuleOptions } from '../interfaces/redis-cache-module-options.interface.js';
import { InvalidRedisCacheOptionsError } from '../errors/invalid-redis-cache-options.error.js';
import { resolveClockOption, resolveStoreOption } from './cache-store-option.resolver.js';
import { resolveCircuitBreaker } from './circuit-breaker-option.resolver.js';
import { resolveCompression } from './compression-option.resolver.js';
import { resolveConnection } from './connection-option.resolver.js';
import { resolveEarlyRefresh, resolveGrace } from './freshness-option.resolver.js';
import { resolveHttp } from './http-option.resolver.js';
import { resolveL1 } from './l1-option.resolver.js';
import { resolveLock } from './lock-option.resolver.js';
import { resolveName } from './name-option.resolver.js';
import { fail, resolveBoolean, resolveDuration, resolveInteger, resolveTtl } from './option-checks.util.js';
import { DEFAULTS, LIMITS } from './redis-cache-options.defaults.js';
import type { ResolvedRedisCacheOptions } from './resolved-redis-cache-options.interface.js';
import { resolveSerializer } from './serializer-option.resolver.js';

/**
 * Validates module options once, at bootstrap, and fills in defaults. Throws
 * {@link InvalidRedisCacheOptionsError} naming the first wrong field and the fix.
 */
export function resolveRedisCacheOptions(options: RedisCacheModuleOptions | undefined): ResolvedRedisCacheOptions {
  const raw: RedisCacheModuleOptions = options ?? {};
  if (typeof raw !== 'object')
    fail('options', `expected an object, got ${typeof raw}`, 'pass an options object to forRoot()');
  const store = resolveStoreOption(raw.store ?? DEFAULTS.store);
  const prefix = resolveName('prefix', raw.prefix ?? DEFAULTS.prefix);
  return {
    store,
    clock: resolveClockOption(raw.clock),
    connection: resolveConnection(raw),
    prefix,
    namespace: resolveName('namespace', raw.namespace ?? DEFAULTS.namespace),
    ttlMs: resolveTtl('ttl', raw.ttl ?? DEFAULTS.ttl),
    serializer: resolveSerializer('serializer', raw.serializer),
    cacheNull: resolveBoolean('cacheNull', raw.cacheNull ?? DEFAULTS.cacheNull),
    failOpen: resolveBoolean('failOpen', raw.failOpen ?? DEFAULTS.failOpen),
    operationTimeoutMs: resolveDuration('operationTimeout', raw.operationTimeout ?? DEFAULTS.operationTimeout, {
      min: 1,
      max: LIMITS.maxOperationTimeoutMs,
    }),
    maxValueBytes: resolveInteger(
      'maxValueBytes',
      raw.maxValueBytes ?? DEFAULTS.maxValueBytes,
      64,
      LIMITS.maxValueBytes,
    ),
    compression: resolveCompression('compression', raw.compression ?? DEFAULTS.compression, false),
    requireConnectionOnBootstrap: resolveBoolean(
      'requireConnectionOnBootstrap',
      raw.requireConnectionOnBootstrap ?? DEFAULTS.requireConnectionOnBootstrap,
    ),
    memory: {
      maxEntries: resolveInteger('memory.maxEntries', raw.memory?.maxEntries ?? DEFAULTS.memory.maxEntries, 1, 1e9),
      maxBytes: resolveInteger(
        'memory.maxBytes',
        raw.memory?.maxBytes ?? DEFAULTS.memory.maxBytes,
        1024,
        Number.MAX_SAFE_INTEGER,
      ),
    },
    l1: resolveL1(raw),
    graceMs: resolveGrace('staleWhileRevalidate', raw.staleWhileRevalidate ?? DEFAULTS.staleWhileRevalidate),
    failSafe: resolveBoolean('failSafe', raw.failSafe ?? DEFAULTS.failSafe),
    earlyRefreshBeta: resolveEarlyRefresh('earlyRefresh', raw.earlyRefresh ?? DEFAULTS.earlyRefresh),
    lock: resolveLock('lock', raw.lock ?? DEFAULTS.lock),
    circuitBreaker: resolveCircuitBreaker(raw.circuitBreaker),
    http: resolveHttp(raw.http ?? {}),
  };
}

import type { ReadThroughOptions } from '../interfaces/read-through-options.interface.js';
import {
  resolveBoolean,
  resolveEarlyRefresh,
  resolveGrace,
  resolveLock,
  resolveName,
  resolveSerializer,
  resolveTtl,
} from '../options/redis-cache-options.resolver.js';
import type {
  ResolvedLockOptions,
  ResolvedRedisCacheOptions,
} from '../options/resolved-redis-cache-options.interface.js';
import { CacheEntryCodec } from '../serializers/cache-entry.codec.js';
import type { Duration } from '../utils/duration.util.js';
import { InvalidRedisCacheOptionsError } from '../errors/invalid-redis-cache-options.error.js';

/** Everything the executor needs to cache one method or `wrap()` call, resolved once. */
export interface ReadThroughPolicy {
  /** Who is cached, for log lines: `'RoutesService.optimize'` or `'wrap'`. */
  readonly label: string;
  readonly namespace: string;
  readonly ttlMs: number;
  readonly codec: CacheEntryCodec;
  readonly cacheNull: boolean;
  readonly condition: ((value: unknown) => boolean) | undefined;
  readonly unless: ((value: unknown) => boolean) | undefined;
  /** Stale-while-revalidate grace after the TTL (0 = off). */
  readonly graceMs: number;
  readonly failSafe: boolean;
  /** XFetch beta (0 = off). */
  readonly earlyRefreshBeta: number;
  readonly lock: ResolvedLockOptions | false;
}

/**
 * Merges per-call options over the module options and validates them. `label` prefixes the
 * field name in errors (`CatsService.findOne: ttl`), so a bad decorator is found at bootstrap.
 */
export function createReadThroughPolicy(
  module: ResolvedRedisCacheOptions,
  label: string,
  ttl: Duration | undefined,
  options: ReadThroughOptions<never> = {},
  defaultCodec?: CacheEntryCodec,
): ReadThroughPolicy {
  const field = (name: string): string => `${label}: ${name}`;
  const missing = options.missingKeyValue;
  if (missing !== undefined && missing !== 'bypass' && missing !== 'empty') {
    throw new InvalidRedisCacheOptionsError(
      field('missingKeyValue'),
      `expected 'bypass' or 'empty', got ${JSON.stringify(missing)}`,
      "use 'bypass' (the default) or 'empty'",
    );
  }
  const effectiveTtl = ttl ?? options.ttl;
  for (const [name, fn] of [
    ['condition', options.condition],
    ['unless', options.unless],
  ] as const) {
    if (fn !== undefined && typeof fn !== 'function') {
      throw new InvalidRedisCacheOptionsError(
        field(name),
        `expected a function, got ${typeof fn}`,
        `pass (value) => boolean`,
      );
    }
  }
  const codec =
    options.serializer === undefined && defaultCodec
      ? defaultCodec
      : new CacheEntryCodec(
          options.serializer === undefined
            ? module.serializer
            : resolveSerializer(field('serializer'), options.serializer),
          module.maxValueBytes,
        );
  return {
    label,
    namespace: options.namespace === undefined ? module.namespace : resolveName(field('namespace'), options.namespace),
    ttlMs: effectiveTtl === undefined ? module.ttlMs : resolveTtl(field('ttl'), effectiveTtl),
    codec,
    cacheNull:
      options.cacheNull === undefined ? module.cacheNull : resolveBoolean(field('cacheNull'), options.cacheNull),
    condition: options.condition as ((value: unknown) => boolean) | undefined,
    unless: options.unless as ((value: unknown) => boolean) | undefined,
    graceMs:
      options.staleWhileRevalidate === undefined
        ? module.graceMs
        : resolveGrace(field('staleWhileRevalidate'), options.staleWhileRevalidate),
    failSafe: options.failSafe === undefined ? module.failSafe : resolveBoolean(field('failSafe'), options.failSafe),
    earlyRefreshBeta:
      options.earlyRefresh === undefined
        ? module.earlyRefreshBeta
        : resolveEarlyRefresh(field('earlyRefresh'), options.earlyRefresh),
    lock: options.lock === undefined ? module.lock : resolveLock(field('lock'), options.lock),
  };
}

import type { ReadThroughOptions } from '../interfaces/read-through-options.interface.js';
import { compileKeyTemplate, type CompiledKeyTemplate } from '../keys/key-template.compiler.js';
import { resolveEarlyRefresh, resolveGrace } from '../options/freshness-option.resolver.js';
import { resolveLock } from '../options/lock-option.resolver.js';
import { resolveName } from '../options/name-option.resolver.js';
import { resolveBoolean, resolveDuration, resolveMissingKeyValue, resolveTtl } from '../options/option-checks.util.js';
import { resolveSerializer } from '../options/serializer-option.resolver.js';
import type {
  ResolvedLockOptions,
  ResolvedRedisCacheOptions,
} from '../options/resolved-redis-cache-options.interface.js';
import { CacheEntryCodec } from '../serializers/cache-entry.codec.js';
import type { ReadThroughTtl } from '../interfaces/read-through-options.interface.js';
import { InvalidRedisCacheOptionsError } from '../errors/invalid-redis-cache-options.error.js';
import { LIMITS } from '../options/redis-cache-options.defaults.js';
import { resolveCompression } from '../options/compression-option.resolver.js';

/** Everything the executor needs to cache one method or `wrap()` call, resolved once. */
export interface ReadThroughPolicy {
  /** Who is cached, for log lines: `'RoutesService.optimize'` or `'wrap'`. */
  readonly label: string;
  readonly namespace: string;
  /** The time to live when it is not a function of the result (else the module's, for headers). */
  readonly ttlMs: number;
  /** The time to live of one result in ms (0: do not store it), when `ttl` is a function. */
  readonly ttlOf: ((value: unknown) => number) | undefined;
  /** Time to live of a `null` result, when `negativeTtl` is set (it implies `cacheNull`). */
  readonly negativeTtlMs: number | undefined;
  /** Tag templates, compiled: each reads the arguments (or the request) like the key. */
  readonly tags: readonly CompiledKeyTemplate[];
  /** With a stale value at hand, how long a caller waits for the refresh (0 = not at all). */
  readonly softTimeoutMs: number;
  /** The longest a caller waits for the method before `ReadThroughTimeoutError` (0 = unbounded). */
  readonly hardTimeoutMs: number;
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
  /** Hits may be served from (and fill) the in-process L1. */
  readonly l1: boolean;
}

/**
 * Merges per-call options over the module options and validates them. `label` prefixes the
 * field name in errors (`CatsService.findOne: ttl`), so a bad decorator is found at bootstrap.
 */
export function createReadThroughPolicy(
  module: ResolvedRedisCacheOptions,
  label: string,
  ttl: ReadThroughTtl<never> | undefined,
  options: ReadThroughOptions<never> = {},
  defaultCodec?: CacheEntryCodec,
): ReadThroughPolicy {
  const field = (name: string): string => `${label}: ${name}`;
  const missing = resolveMissingKeyValue(field('missingKeyValue'), options.missingKeyValue);
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
  // A codec writes with one compression setting, so a method with its own needs its own codec.
  const codec =
    options.serializer === undefined && options.compression === undefined && defaultCodec
      ? defaultCodec
      : new CacheEntryCodec(
          options.serializer === undefined
            ? module.serializer
            : resolveSerializer(field('serializer'), options.serializer),
          module.maxValueBytes,
          options.compression === undefined
            ? module.compression
            : resolveCompression(field('compression'), options.compression, module.compression),
        );
  const ttlIsFunction = typeof effectiveTtl === 'function';
  const negativeTtlMs =
    options.negativeTtl === undefined ? undefined : resolveTtl(field('negativeTtl'), options.negativeTtl);
  const timeout = resolveTimeout(field('timeout'), options.timeout);
  return {
    label,
    ttlOf: ttlIsFunction ? ttlFunction(field('ttl'), effectiveTtl as (value: unknown) => unknown) : undefined,
    negativeTtlMs,
    tags: compileTags(field('tags'), options.tags, missing),
    softTimeoutMs: timeout.soft,
    hardTimeoutMs: timeout.hard,
    namespace: options.namespace === undefined ? module.namespace : resolveName(field('namespace'), options.namespace),
    ttlMs: effectiveTtl === undefined || ttlIsFunction ? module.ttlMs : resolveTtl(field('ttl'), effectiveTtl),
    codec,
    cacheNull:
      negativeTtlMs !== undefined ||
      (options.cacheNull === undefined ? module.cacheNull : resolveBoolean(field('cacheNull'), options.cacheNull)),
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
    l1: resolveMethodL1(field('l1'), options.l1, module),
  };
}

/**
 * Wraps a `ttl` function so that it always yields whole milliseconds: its result is validated
 * like any ttl, except that 0 or less means "do not store". It throws (a bad result, or the
 * function's own error); the executor logs that and does not store.
 */
function ttlFunction(field: string, fn: (value: unknown) => unknown): (value: unknown) => number {
  return (value) => {
    const result = fn(value);
    if (typeof result === 'number' && result <= 0) return 0;
    return resolveTtl(field, result);
  };
}

/** Tags one entry may carry (the envelope refuses more). */
const MAX_TAGS = 64;

function compileTags(
  field: string,
  tags: unknown,
  missing: 'bypass' | 'empty' | undefined,
): readonly CompiledKeyTemplate[] {
  if (tags === undefined) return [];
  if (Array.isArray(tags) && tags.length > MAX_TAGS) {
    throw new InvalidRedisCacheOptionsError(
      field,
      `${tags.length} tags; an entry carries at most ${MAX_TAGS}`,
      'use fewer, broader tags',
    );
  }
  if (!Array.isArray(tags) || tags.some((tag) => typeof tag !== 'string' || tag === '')) {
    throw new InvalidRedisCacheOptionsError(
      field,
      'expected an array of non-empty tag templates',
      "use e.g. tags: ['books', 'author:{0.authorId}']",
    );
  }
  return tags.map((tag: string) => {
    try {
      return compileKeyTemplate(tag, missing);
    } catch (error) {
      throw new InvalidRedisCacheOptionsError(field, (error as Error).message, 'fix the tag template');
    }
  });
}

function resolveTimeout(field: string, value: unknown): { soft: number; hard: number } {
  if (value === undefined) return { soft: 0, hard: 0 };
  if (typeof value !== 'object' || value === null) {
    throw new InvalidRedisCacheOptionsError(
      field,
      'expected { soft?, hard? }',
      "use e.g. timeout: { soft: '200ms', hard: '5s' }",
    );
  }
  const { soft, hard } = value as { soft?: unknown; hard?: unknown };
  const bounds = { min: 1, max: LIMITS.maxTtlMs };
  const softMs = soft === undefined ? 0 : resolveDuration(`${field}.soft`, soft, bounds);
  const hardMs = hard === undefined ? 0 : resolveDuration(`${field}.hard`, hard, bounds);
  if (softMs > 0 && hardMs > 0 && softMs >= hardMs) {
    throw new InvalidRedisCacheOptionsError(
      field,
      `soft (${softMs} ms) must be shorter than hard (${hardMs} ms)`,
      'lower soft or raise hard',
    );
  }
  return { soft: softMs, hard: hardMs };
}

/**
 * How long `value` stays fresh under `policy`, in ms (0: do not store it): `negativeTtl` for
 * `null`, the `ttl` function's answer, else the TTL. Throws what a `ttl` function throws.
 */
export function freshMsFor(value: unknown, policy: ReadThroughPolicy): number {
  if (value === null && policy.negativeTtlMs !== undefined) return policy.negativeTtlMs;
  return policy.ttlOf ? policy.ttlOf(value) : policy.ttlMs;
}

function resolveMethodL1(field: string, value: unknown, module: ResolvedRedisCacheOptions): boolean {
  const enabled = module.l1 !== false && module.store === 'redis';
  if (value === undefined) return enabled;
  if (typeof value !== 'boolean') {
    throw new InvalidRedisCacheOptionsError(
      field,
      `expected true or false, got ${typeof value}`,
      'use l1: false to keep this method out of the L1',
    );
  }
  if (value && module.l1 === false) {
    throw new InvalidRedisCacheOptionsError(
      field,
      'this method asks for the L1, but the module has none',
      'set the module option l1: true (or remove l1 from this method)',
    );
  }
  return value && enabled;
}

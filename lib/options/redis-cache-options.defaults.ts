import type { RedisCacheModuleOptions } from '../interfaces/redis-cache-module-options.interface.js';

/** Limits that no option may exceed. */
export const LIMITS = {
  /** A year: longer TTLs are almost always a unit mistake (seconds given as ms, or the reverse). */
  maxTtlMs: 365 * 86_400_000,
  maxOperationTimeoutMs: 60_000,
  /** Redis' own string limit. */
  maxValueBytes: 512 * 1024 * 1024,
  maxNameLength: 64,
} as const;

/** Defaults applied to every option left out. */
export const DEFAULTS = {
  store: 'redis',
  url: 'redis://127.0.0.1:6379',
  pool: { minimum: 1, maximum: 10, acquireTimeout: '3s' },
  prefix: 'cache',
  namespace: 'default',
  ttl: '5m',
  cacheNull: false,
  failOpen: true,
  operationTimeout: '300ms',
  maxValueBytes: 16 * 1024 * 1024,
  requireConnectionOnBootstrap: false,
  memory: { maxEntries: 10_000, maxBytes: 64 * 1024 * 1024 },
  l1: false,
  compression: false,
  staleWhileRevalidate: 0,
  failSafe: true,
  earlyRefresh: false,
  lock: false,
  circuitBreaker: { failureThreshold: 5, cooldown: '1s' },
  http: {
    cacheStatusHeader: 'X-Cache',
    statuses: [200],
    cacheControl: false,
    etag: true,
    respectRequestCacheControl: false,
    unkeyedHeaders: [
      'host',
      'x-forwarded-*',
      'forwarded',
      'x-host',
      'x-original-host',
      'x-original-url',
      'x-rewrite-url',
      'x-real-ip',
      'true-client-ip',
      'x-client-ip',
      'x-cluster-client-ip',
      'cf-connecting-ip',
      'fastly-client-ip',
      'x-http-method-override',
      'x-http-method',
      'x-method-override',
      'accept-language',
    ],
    credentialHeaders: ['authorization', 'proxy-authorization', 'cookie', 'x-api-key', 'x-auth-token'],
    credentialQueryParams: ['access_token', 'api_key', 'apikey', 'token'],
  },
} as const satisfies Omit<
  Required<RedisCacheModuleOptions>,
  'client' | 'cluster' | 'sentinel' | 'serializer' | 'clock'
>;

/**
 * Defaults of the `lock` option when it is `true`. The holder renews its lease while the method
 * runs, so `wait`, not `ttl`, decides how slow a method may be before waiters run it too.
 */
export const LOCK_DEFAULTS = { ttl: '5s', wait: '30s' } as const;

/** Statuses that may never be stored, whatever the options say: partial and not-modified responses are never complete representations. */
export const NEVER_CACHED_STATUSES: ReadonlySet<number> = new Set([206, 304]);

/** Defaults of the `l1` option when it is `true` or an object. */
export const L1_DEFAULTS = { maxEntries: 10_000, maxBytes: 32 * 1024 * 1024, shareValues: false } as const;

/**
 * Defaults of the `compression` option when it is `true` or an object. Levels measured on a
 * 100 KB JSON value (README "Compression"): gzip 6 is zlib's own default; brotli's own (11)
 * costs ~40× the CPU of quality 5 for ~15% fewer bytes, too much for a miss path.
 */
export const COMPRESSION_DEFAULTS = { threshold: 1024, algorithm: 'gzip', gzipLevel: 6, brotliLevel: 5 } as const;

import type { RedisClientOptions, RedisClusterOptions, RedisSentinelOptions } from 'redis';
import type { CacheClock } from '../clock/cache.clock.js';
import type { CacheSerializer } from '../serializers/cache.serializer.js';
import type { ResolvedCompressionOptions } from '../serializers/payload.compression.js';
import type { CacheStore } from '../store/cache.store.js';

/** How the pool service connects; exactly one shape is chosen at bootstrap. */
export type ResolvedConnection =
  | {
      readonly kind: 'standalone';
      readonly client: RedisClientOptions;
      readonly pool: { readonly minimum: number; readonly maximum: number; readonly acquireTimeoutMs: number };
    }
  | { readonly kind: 'cluster'; readonly cluster: RedisClusterOptions }
  | { readonly kind: 'sentinel'; readonly sentinel: RedisSentinelOptions };

/** Module options after validation and defaults; what the services are built from. */
export interface ResolvedRedisCacheOptions {
  /** A custom store is kept as given. */
  readonly store: 'redis' | 'memory' | CacheStore;
  readonly clock: CacheClock;
  readonly connection: ResolvedConnection;
  readonly prefix: string;
  readonly namespace: string;
  readonly ttlMs: number;
  readonly serializer: CacheSerializer;
  readonly cacheNull: boolean;
  readonly failOpen: boolean;
  readonly operationTimeoutMs: number;
  readonly maxValueBytes: number;
  /** What entries are compressed with, or `false`. */
  readonly compression: ResolvedCompressionOptions | false;
  readonly requireConnectionOnBootstrap: boolean;
  readonly memory: { readonly maxEntries: number; readonly maxBytes: number };
  /** The in-process L1, or `false`. */
  readonly l1: ResolvedL1Options | false;
  readonly graceMs: number;
  readonly failSafe: boolean;
  /** XFetch beta; 0 = off. */
  readonly earlyRefreshBeta: number;
  readonly lock: ResolvedLockOptions | false;
  readonly circuitBreaker: { readonly failureThreshold: number; readonly cooldownMs: number } | false;
  readonly http: ResolvedHttpCacheOptions;
}

/** `http` options after validation and defaults. */
export interface ResolvedHttpCacheOptions {
  readonly cacheStatusHeader: string | false;
  readonly statuses: readonly number[];
  readonly cacheControl: boolean;
  readonly etag: boolean;
  readonly respectRequestCacheControl: boolean;
  /** Lower-case header names. */
  readonly unkeyedHeaders: readonly string[];
  readonly canonicalHost: string | undefined;
  /** Lower-case header names that carry a credential. */
  readonly credentialHeaders: readonly string[];
  /** Lower-case query parameter names that carry a credential. */
  readonly credentialQueryParams: readonly string[];
}

/** `lock` options after validation and defaults. */
export interface ResolvedLockOptions {
  readonly ttlMs: number;
  readonly waitMs: number;
}

/** `l1` options after validation and defaults. */
export interface ResolvedL1Options {
  readonly maxEntries: number;
  readonly maxBytes: number;
  /** Longest an entry is served from L1; 0 = no cap beyond its freshness. */
  readonly ttlMs: number;
  readonly shareValues: boolean;
}

import type { CacheClock } from '../clock/cache.clock.js';
import type { CacheStore } from '../store/cache.store.js';
import type { RedisClientOptions, RedisClusterOptions, RedisSentinelOptions } from 'redis';
import type { CacheSerializer } from '../serializers/cache.serializer.js';
import type { Duration } from '../utils/duration.util.js';
import type { HttpCacheOptions } from './http-cache-options.interface.js';
import type { ReadThroughLockOptions } from './read-through-options.interface.js';

/** Names of the shipped serializers, accepted wherever a serializer instance is. */
export type SerializerName = 'json' | 'v8' | 'msgpack';

/** Size of the node-redis connection pool (`createClientPool`). */
export interface RedisCachePoolOptions {
  /**
   * Connections opened at start-up and kept open.
   * @default 1
   */
  minimum?: number;
  /**
   * Upper bound on open connections.
   * @default 10
   */
  maximum?: number;
  /**
   * How long `execute()` waits for a free connection before failing.
   * @default '3s'
   */
  acquireTimeout?: Duration;
}

/** Bounds of the embedded in-memory store (`store: 'memory'`). */
export interface RedisCacheMemoryOptions {
  /**
   * Most entries kept; the least recently used go first.
   * @default 10000
   */
  maxEntries?: number;
  /**
   * Most bytes of stored entries kept.
   * @default 67108864 (64 MiB)
   */
  maxBytes?: number;
}

/** Circuit breaker around Redis (see README "Reliability"). */
export interface RedisCacheCircuitBreakerOptions {
  /**
   * Consecutive failed or timed-out operations that open the breaker.
   * @default 5
   */
  failureThreshold?: number;
  /**
   * How long Redis is skipped once the breaker is open; then one probe decides.
   * @default '1s'
   */
  cooldown?: Duration;
}

/**
 * Options of `RedisCacheModule.forRoot()` / `forRootAsync()`. Every field is optional; the
 * defaults give a fail-open cache on `redis://127.0.0.1:6379`. Values are validated once at
 * bootstrap: a wrong one throws `InvalidRedisCacheOptionsError` naming the field and the fix.
 *
 * @example
 * RedisCacheModule.forRoot({ url: process.env.REDIS_URL, prefix: 'shop', ttl: '5m' })
 */
export interface RedisCacheModuleOptions {
  /**
   * `'redis'` talks to Redis; `'memory'` keeps entries in this process (bounded LRU with TTL),
   * with the same semantics, for development and tests. Or your own {@link CacheStore}
   * (see "Bring your own store" in the README): no Redis connection is opened then.
   * @default 'redis'
   */
  store?: 'redis' | 'memory' | CacheStore;
  /**
   * Where the cache reads the time (freshness, grace, `Age`, the memory store's expiry).
   * `RedisCacheTestingModule` sets a `TestClock`; with the Redis store, Redis still expires
   * keys on its own time.
   * @default Date.now
   */
  clock?: CacheClock;
  /**
   * Connection URL, `redis://[[user]:password@]host[:port][/db]` or `rediss://` for TLS.
   * @default 'redis://127.0.0.1:6379'
   */
  url?: string;
  /**
   * Further node-redis client options (socket, TLS, credentials, RESP...). The cache sets
   * `disableOfflineQueue`, a bounded command queue and its own reconnect strategy unless you
   * set them here.
   */
  client?: RedisClientOptions;
  /** Connect to a Redis Cluster (node-redis `createCluster`) instead of a single server. */
  cluster?: RedisClusterOptions;
  /** Connect through Redis Sentinel (node-redis `createSentinel`) instead of a single server. */
  sentinel?: RedisSentinelOptions;
  /** Connection pool size for `RedisPoolService.execute()`. */
  pool?: RedisCachePoolOptions;
  /**
   * First part of every key: `<prefix>:<namespace>:<key>`. Two apps sharing a Redis keep apart
   * by prefix. Letters, digits and `. _ - : { } /`.
   * @default 'cache'
   */
  prefix?: string;
  /**
   * Namespace used when a method or call names none; `clear(namespace)` deletes one.
   * @default 'default'
   */
  namespace?: string;
  /**
   * Default time to live: milliseconds, or `'250ms' | '30s' | '5m' | '1h' | '1d'`. Every entry
   * has one; the maximum is 365 days.
   * @default '5m'
   */
  ttl?: Duration;
  /**
   * How values become bytes. `JsonSerializer` is safe with an untrusted Redis; see the README
   * before using `'v8'` or `'msgpack'`.
   * @default new JsonSerializer()
   */
  serializer?: CacheSerializer | SerializerName;
  /**
   * Store `null` results. `undefined` is never stored.
   * @default false
   */
  cacheNull?: boolean;
  /**
   * When Redis fails or times out, log and run the method uncached (`true`), or throw
   * `RedisCacheConnectionError` (`false`).
   * @default true
   */
  failOpen?: boolean;
  /**
   * Deadline of every cache operation (node-redis does not bound commands already written to a
   * stalled server).
   * @default '300ms'
   */
  operationTimeout?: Duration;
  /**
   * Largest stored entry in bytes; bigger values are returned but not stored, and bigger stored
   * entries are ignored before parsing.
   * @default 16777216 (16 MiB)
   */
  maxValueBytes?: number;
  /**
   * Fail bootstrap with `RedisCacheConnectionError` when Redis cannot be reached at start-up.
   * By default the app starts, logs a warning and caches once Redis is up.
   * @default false
   */
  requireConnectionOnBootstrap?: boolean;
  /**
   * Grace after the TTL: a value that is stale but within the grace is returned at once while
   * one background refresh runs (`X-Cache: STALE` on HTTP). Entries live in Redis for
   * `ttl + staleWhileRevalidate`. `0` turns it off.
   * @default 0
   */
  staleWhileRevalidate?: Duration;
  /**
   * With a grace set: when a refresh fails, keep the stale value (the error is logged and
   * counted). `false` deletes the stale entry so the next call runs the method and sees errors.
   * @default true
   */
  failSafe?: boolean;
  /**
   * Probabilistic early refresh of hot keys before they expire (XFetch, Vattani et al. 2015):
   * the closer to expiry and the slower the method, the likelier one hit refreshes in the
   * background. `true` = beta 1; a number sets beta (higher refreshes earlier).
   * @default false
   */
  earlyRefresh?: boolean | number;
  /**
   * Cross-process stampede protection: on a miss, only the process holding a Redis lock
   * (`SET NX PX` with an owner token, renewed while the method runs, released by
   * compare-and-delete) runs the method; the others wait for its value (woken by a `PUBLISH` on
   * `<prefix>:__lock__`, or by a poll), up to `wait`, then run it themselves.
   * @default false
   */
  lock?: boolean | ReadThroughLockOptions;
  /**
   * Skip Redis for a cooldown after consecutive failures, so a stalled server does not cost
   * every request the full `operationTimeout`; `false` turns it off.
   * @default { failureThreshold: 5, cooldown: '1s' }
   */
  circuitBreaker?: RedisCacheCircuitBreakerOptions | false;
  /** Bounds of the in-memory store. */
  memory?: RedisCacheMemoryOptions;
  /**
   * An in-process L1 in front of Redis, kept coherent by Redis itself (RESP3 client tracking:
   * the server tells this connection about every change, deletion, expiry or eviction of a key
   * it read). `true` for the defaults. Needs a standalone Redis 6+ (refused at bootstrap on a
   * cluster or sentinel, off with a warning when the server cannot track); a no-op on the
   * memory store, which is in-process already. Per method or route: `l1: false`.
   * @default false
   */
  l1?: boolean | RedisCacheL1Options;
  /**
   * Compress stored payloads of at least `threshold` bytes (node:zlib), recorded per entry in
   * its header: compressed and plain entries coexist, and every reader decodes both, whatever
   * its own setting. `true` for the defaults. Per method or route: `compression`. Costs CPU on
   * every miss and every hit of a compressed entry; see README "Compression".
   * @default false
   */
  compression?: boolean | CacheCompressionOptions;
  /** HTTP behaviour of `ReadThroughInterceptor`. */
  http?: HttpCacheOptions;
}

/**
 * Options of `compression`.
 *
 * @example
 * RedisCacheModule.forRoot({ compression: { threshold: 4096, algorithm: 'brotli' } });
 */
export interface CacheCompressionOptions {
  /** Smallest serialized payload (bytes) that is compressed; smaller ones are stored as they are. @default 1024 */
  threshold?: number;
  /** `'gzip'` or `'brotli'`. @default 'gzip' */
  algorithm?: 'gzip' | 'brotli';
  /** gzip level 1–9 or brotli quality 0–11. @default 6 (gzip), 5 (brotli: its own default, 11, costs ~40× the CPU) */
  level?: number;
}

/** Options of the in-process L1 (`l1`). */
export interface RedisCacheL1Options {
  /** Most entries held. @default 10_000 */
  maxEntries?: number;
  /** Most bytes held (the stored entries' size). @default 32 MiB */
  maxBytes?: number;
  /** Longest an entry is served from L1 (never longer than it is fresh in Redis). @default no cap */
  ttl?: Duration;
  /**
   * Return the same decoded object to every L1 hit instead of a fresh copy: fastest, but callers
   * must not mutate what they get.
   * @default false
   */
  shareValues?: boolean;
}

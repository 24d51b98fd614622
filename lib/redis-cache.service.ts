import { Inject, Injectable, Logger, type Type } from '@nestjs/common';
import { asConnectionError } from './errors/connection-error.wrap.js';
import { RedisCacheSerializationError } from './errors/redis-cache-serialization.error.js';
import { ReadThroughMethodCalls } from './explorer/read-through-method.calls.js';
import type {
  ReadThroughMethodArgs,
  ReadThroughMethodName,
  ReadThroughMethodResult,
} from './explorer/read-through-method.types.js';
import { ReadThroughRegistry } from './explorer/read-through.registry.js';
import type { ReadThroughOptions, ReadThroughTtl } from './interfaces/read-through-options.interface.js';
import type {
  CacheKeyOptions,
  CacheSetOptions,
  WrapOptions,
} from './interfaces/redis-cache-service-options.interface.js';
import { CacheKeyBuilder } from './keys/cache-key.builder.js';
import { resolveName } from './options/name-option.resolver.js';
import type { ResolvedRedisCacheOptions } from './options/resolved-redis-cache-options.interface.js';
import { createReadThroughPolicy, type ReadThroughPolicy } from './read-through/read-through.policy.js';
import { ReadThroughExecutor, type CacheStatsSnapshot } from './read-through/read-through.executor.js';
import { LOGGER_CONTEXT, RESOLVED_REDIS_CACHE_OPTIONS } from './redis-cache.constants.js';
import { CacheStore } from './store/cache.store.js';
import { describeError } from './utils/redact.util.js';
import { CacheEventsHub } from './events/cache-events.hub.js';
import type { RedisCacheEvent } from './events/cache-event.types.js';
import type { Observable } from 'rxjs';

/**
 * Programmatic cache API over the same core as `@ReadThrough`. Keys are yours, stored as
 * `<prefix>:<namespace>:<key>`. Reads and writes fail open like the decorator (a Redis failure
 * is logged and reads as a miss) unless the module sets `failOpen: false`.
 *
 * @example
 * const route = await cache.wrap(`route:${id}`, () => this.upstream.route(id), { ttl: '10m' });
 */
@Injectable()
export class RedisCacheService {
  private readonly logger = new Logger(LOGGER_CONTEXT);
  private readonly keys: CacheKeyBuilder;
  private readonly calls: ReadThroughMethodCalls;

  constructor(
    private readonly executor: ReadThroughExecutor,
    private readonly store: CacheStore,
    @Inject(RESOLVED_REDIS_CACHE_OPTIONS) private readonly options: ResolvedRedisCacheOptions,
    registry: ReadThroughRegistry,
    private readonly events: CacheEventsHub,
  ) {
    this.keys = new CacheKeyBuilder(options.prefix);
    this.calls = new ReadThroughMethodCalls(registry, executor);
  }

  /**
   * Everything this application's cache does, as typed events (`hit`, `miss`, `load` with its
   * duration, `store`, `store-error`, `breaker-open`...; see `RedisCacheEvent`), from the
   * subscription on. Each names the key's namespace and the method or route, never the value,
   * the key or a credential. Without a subscriber nothing is built: a hit pays one field read.
   *
   * @example
   * cache.events$.pipe(filter((event) => event.type === 'store-error')).subscribe((event) => alert(event.label));
   */
  get events$(): Observable<RedisCacheEvent> {
    return this.events.events$;
  }

  /** The cached value, or `undefined` on a miss (or a refused entry, or a failed read when failing open). */
  async get<T = unknown>(key: string, options?: CacheKeyOptions): Promise<T | undefined> {
    const policy = this.policy(options);
    try {
      const found = await this.executor.read(this.fullKey(key, policy), policy.codec);
      return found?.value as T | undefined;
    } catch (error) {
      return this.failed('get', error, undefined);
    }
  }

  /**
   * Stores `value` for `ttl`. Resolves `true` when stored, `false` when the store failed and the
   * module fails open. `undefined` is never stored (resolves `false`). Throws
   * `RedisCacheSerializationError` when the serializer cannot encode the value.
   */
  async set(key: string, value: unknown, options?: CacheSetOptions): Promise<boolean> {
    if (value === undefined) return false;
    const policy = this.policy(options, options?.ttl);
    try {
      await this.executor.write(this.fullKey(key, policy), value, policy);
      return true;
    } catch (error) {
      // A value that cannot be encoded is the caller's problem to know about, not an outage.
      if (error instanceof RedisCacheSerializationError) throw error;
      return this.failed('set', error, false);
    }
  }

  /** Deletes the key; resolves `true` when it existed. */
  async del(key: string, options?: Pick<CacheKeyOptions, 'namespace'>): Promise<boolean> {
    try {
      return (await this.executor.evict([this.fullKey(key, this.policy(options))])) > 0;
    } catch (error) {
      return this.failed('del', error, false);
    }
  }

  /**
   * Whether the key holds a valid entry: not expired, not invalidated by a tag, not refused, and
   * not a value still being produced.
   */
  async has(key: string, options?: CacheKeyOptions): Promise<boolean> {
    const policy = this.policy(options);
    try {
      return (await this.executor.read(this.fullKey(key, policy), policy.codec)) !== undefined;
    } catch (error) {
      return this.failed('has', error, false);
    }
  }

  /** Remaining time to live in milliseconds (grace included), or `undefined` when the key holds no valid entry. */
  async ttl(key: string, options?: CacheKeyOptions): Promise<number | undefined> {
    const policy = this.policy(options);
    const fullKey = this.fullKey(key, policy);
    try {
      if ((await this.executor.read(fullKey, policy.codec)) === undefined) return undefined;
      return await this.store.ttl(fullKey);
    } catch (error) {
      return this.failed('ttl', error, undefined);
    }
  }

  /**
   * Read-through for any function: the cached value of `key`, or `factory()` run once (shared by
   * concurrent callers in this process) and stored. `tags` are literal tag names here;
   * `forceFresh` runs `factory` and stores its result even when a fresh entry exists.
   *
   * @example
   * await cache.wrap('rates', () => fetchRates(), { ttl: '30s' })
   * await cache.wrap(`author:${id}`, () => load(id), { tags: [`author:${id}`] })
   */
  wrap<T>(key: string, factory: () => Promise<T> | T, options?: WrapOptions<T>): Promise<T> {
    const policy = this.policy(options as WrapOptions<never> | undefined, options?.ttl as ReadThroughTtl<never>);
    const source = {
      load: factory,
      revalidate: options?.forceFresh === true,
      tags: policy.tags.length > 0 ? policy.tags.map((tag) => tag([])) : undefined,
    };
    return this.executor.value(this.fullKey(key, policy), policy, source);
  }

  /**
   * Deletes every key of `namespace` (or of the whole prefix when omitted) with SCAN + UNLINK,
   * never FLUSHDB: keys outside this module's prefix are never touched. Resolves the count.
   */
  async clear(namespace?: string): Promise<number> {
    const keyPrefix = this.keys.namespacePrefix(
      namespace === undefined ? undefined : resolveName('namespace', namespace),
    );
    try {
      return await this.executor.clear(keyPrefix);
    } catch (error) {
      return this.failed('clear', error, 0);
    }
  }

  /**
   * Removes the entry of one call of a `@ReadThrough` provider method, in every process: the key
   * is derived from `args` exactly as the decorator derives it (arguments type-checked against
   * the method). Resolves `true` when an entry existed. A load of it running when it is evicted
   * does not store its older value. Rejects with `ReadThroughBindingError` when the method is
   * not bound in this application or the key cannot be built from `args`.
   *
   * @example
   * await cache.evict(BooksService, 'findByIsbn', isbn)
   */
  async evict<T, K extends ReadThroughMethodName<T>>(
    type: Type<T>,
    method: K,
    ...args: ReadThroughMethodArgs<T, K>
  ): Promise<boolean> {
    const keys = this.calls.keysOf(type, method, args);
    try {
      return (await this.executor.evict(keys)) > 0;
    } catch (error) {
      return this.failed('evict', error, false);
    }
  }

  /**
   * The full stored key (`<prefix>:<namespace>:<key>`) of one call of a `@ReadThrough` provider
   * method. Throws `ReadThroughBindingError` when the method is not bound in this application,
   * several providers of the class are, or the key cannot be built from `args`.
   *
   * @example
   * cache.keyOf(BooksService, 'findByIsbn', '978-0') // 'sample:default:book:978-0'
   */
  keyOf<T, K extends ReadThroughMethodName<T>>(type: Type<T>, method: K, ...args: ReadThroughMethodArgs<T, K>): string {
    return this.calls.keyOf(type, method, args);
  }

  /**
   * Runs a `@ReadThrough` provider method now, on the instance the module bound, and stores its
   * result, even when a fresh entry exists. Resolves the method's result; rejects with its error
   * (nothing stored), or with `ReadThroughBindingError` like {@link keyOf}.
   *
   * @example
   * await cache.refresh(RatesService, 'rates', 'EUR')
   */
  refresh<T, K extends ReadThroughMethodName<T>>(
    type: Type<T>,
    method: K,
    ...args: ReadThroughMethodArgs<T, K>
  ): Promise<ReadThroughMethodResult<T, K>> {
    return this.calls.refresh(type, method, args);
  }

  /**
   * Invalidates every entry carrying one of `tags` (tag names, not templates), in every process,
   * in one round trip. See [Tags](README.md#tags).
   *
   * @example
   * await cache.invalidateTags(['author:7'])
   */
  async invalidateTags(tags: string[]): Promise<void> {
    if (!Array.isArray(tags) || tags.some((tag) => typeof tag !== 'string' || tag === '')) {
      throw new TypeError('invalidateTags() takes an array of non-empty tag names');
    }
    if (tags.length === 0) return;
    try {
      await this.executor.invalidateTags(tags);
    } catch (error) {
      this.failed('invalidateTags', error, undefined);
    }
  }

  /** Hit, miss, load and error counters of this application's cache since start-up. */
  stats(): CacheStatsSnapshot {
    return this.executor.stats();
  }

  private policy(
    options: ReadThroughOptions<never> | CacheKeyOptions | undefined,
    ttl?: ReadThroughTtl<never>,
  ): ReadThroughPolicy {
    if (options === undefined && ttl === undefined) return this.executor.defaultPolicy;
    return createReadThroughPolicy(
      this.options,
      'RedisCacheService',
      ttl,
      options as ReadThroughOptions<never>,
      this.executor.defaultCodec,
    );
  }

  private fullKey(key: string, policy: ReadThroughPolicy): string {
    if (typeof key !== 'string') throw new TypeError(`cache keys are strings, got ${typeof key}`);
    return this.keys.build(policy.namespace, key);
  }

  private failed<T>(operation: string, error: unknown, fallback: T): T {
    if (!this.options.failOpen) throw asConnectionError(error, `Redis cache ${operation} failed`);
    this.logger.warn(`RedisCacheService.${operation} failed on the ${this.store.kind} store: ${describeError(error)}`);
    return fallback;
  }
}

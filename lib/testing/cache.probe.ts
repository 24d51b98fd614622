import { AssertionError } from 'node:assert';
import { Inject, Injectable, type Type } from '@nestjs/common';
import type { ReadThroughMethodArgs, ReadThroughMethodName } from '../explorer/read-through-method.types.js';
import { ReadThroughRegistry } from '../explorer/read-through.registry.js';
import type { CacheKeyOptions } from '../interfaces/redis-cache-service-options.interface.js';
import type { ResolvedRedisCacheOptions } from '../options/resolved-redis-cache-options.interface.js';
import { ReadThroughExecutor } from '../read-through/read-through.executor.js';
import type { CacheStatsSnapshot, ReadThroughStats } from '../read-through/read-through.types.js';
import { TagLedger } from '../read-through/tag-ledger.js';
import { RESOLVED_REDIS_CACHE_OPTIONS } from '../redis-cache.constants.js';
import { RedisCacheService } from '../redis-cache.service.js';
import { CacheStore } from '../store/cache.store.js';

/** What the cache counted between {@link CacheProbe.track} and {@link CacheProbeRecording.counts}. */
export interface CacheProbeRecording {
  /** Each counter's growth since the recording started (hits, misses, loads, staleHits...). */
  counts(): ReadThroughStats;
}

/**
 * Assertions about the cache from a user's test, framework-agnostic (they throw an
 * `AssertionError`, which every test runner reports): was a call a hit or a miss, does a method
 * call's entry or a tag exist, what do the counters say. Reads never count as hits or misses, so
 * probing does not change what is probed. Provided by `RedisCacheTestingModule`.
 *
 * Hits and misses are read from the application's counters, so concurrent cache calls of other
 * code during `expectHit(call)` are counted with it: await them first.
 *
 * @example
 * const probe = moduleRef.get(CacheProbe);
 * await probe.expectMiss(() => books.find('a'));
 * const book = await probe.expectHit(() => books.find('a'));
 * expect(await probe.has(BooksService, 'find', 'a')).toBe(true);
 */
@Injectable()
export class CacheProbe {
  private readonly ledger: TagLedger;

  constructor(
    private readonly cache: RedisCacheService,
    private readonly store: CacheStore,
    private readonly registry: ReadThroughRegistry,
    private readonly executor: ReadThroughExecutor,
    @Inject(RESOLVED_REDIS_CACHE_OPTIONS) options: ResolvedRedisCacheOptions,
  ) {
    this.ledger = new TagLedger(store, options.prefix);
  }

  /** The counters now, as `RedisCacheService.stats()` gives them. */
  stats(): CacheStatsSnapshot {
    return this.cache.stats();
  }

  /**
   * Resolves once no load runs in this application (`stats().inflight` is 0): after a stale hit
   * or an early refresh, the background refresh has stored its value. Waits real time, up to
   * `timeoutMs`, then rejects: a load that never ends is a finding, not something to wait out.
   *
   * @example await probe.expectStale(() => books.find('a')); await probe.settle();
   */
  async settle(timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    // A refresh starts on a later tick than the hit that triggered it: let it start first.
    await new Promise((resolve) => setImmediate(resolve));
    while (this.cache.stats().inflight > 0) {
      if (Date.now() > deadline) {
        throw new AssertionError({
          message: `${this.cache.stats().inflight} load(s) still running after ${timeoutMs} ms`,
        });
      }
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  }

  /** Starts a recording of the counters; `counts()` gives their growth since. */
  track(): CacheProbeRecording {
    const before = this.cache.stats();
    return { counts: () => countsSince(before, this.cache.stats()) };
  }

  /**
   * Runs `call` and asserts it was answered by a fresh hit: at least one hit, no stale hit, no
   * miss. Resolves what `call` resolved; rejects with its error, or with an `AssertionError`.
   *
   * @example const book = await probe.expectHit(() => books.find('a'));
   */
  expectHit<T>(call: () => Promise<T> | T): Promise<T> {
    return this.expect('a fresh cache hit', call, (c) => c.hits > 0 && c.staleHits === 0 && c.misses === 0);
  }

  /** {@link expectHit} for a hit served stale (past its TTL, within `staleWhileRevalidate`). */
  expectStale<T>(call: () => Promise<T> | T): Promise<T> {
    return this.expect('a stale cache hit', call, (c) => c.staleHits > 0 && c.misses === 0);
  }

  /** {@link expectHit} for a miss: at least one miss and no hit. */
  expectMiss<T>(call: () => Promise<T> | T): Promise<T> {
    return this.expect('a cache miss', call, (c) => c.misses > 0 && c.hits === 0);
  }

  /**
   * Whether the call `type.method(...args)` of a `@ReadThrough` provider has a valid entry (not
   * expired, not invalidated by a tag, not still being produced), keyed exactly as the decorator
   * keys it. Throws `ReadThroughBindingError` like `RedisCacheService.keyOf`.
   *
   * @example expect(await probe.has(BooksService, 'find', 'a')).toBe(true)
   */
  async has<T, K extends ReadThroughMethodName<T>>(
    type: Type<T>,
    method: K,
    ...args: ReadThroughMethodArgs<T, K>
  ): Promise<boolean> {
    const key = this.cache.keyOf(type, method, ...args);
    const codec = this.registry.single(type, method).policy.codec;
    return (await this.executor.read(key, codec)) !== undefined;
  }

  /** Remaining lifetime in ms (grace included) of that call's stored key, or `undefined` when absent. */
  ttl<T, K extends ReadThroughMethodName<T>>(
    type: Type<T>,
    method: K,
    ...args: ReadThroughMethodArgs<T, K>
  ): Promise<number | undefined> {
    return this.store.ttl(this.cache.keyOf(type, method, ...args));
  }

  /** Whether `key` (your key, as given to `RedisCacheService.set()`/`wrap()`) holds a valid entry. */
  hasKey(key: string, namespace?: string): Promise<boolean> {
    const options: CacheKeyOptions | undefined = namespace === undefined ? undefined : { namespace };
    return this.cache.has(key, options);
  }

  /**
   * Whether `tag` has a version: some entry carrying it was stored since it was last invalidated
   * (and that bookkeeping has not expired). `invalidateTags([tag])` makes it `false`.
   */
  async tagExists(tag: string): Promise<boolean> {
    const [version] = await this.ledger.current(this.ledger.keysOf([tag]));
    return version !== null;
  }

  private async expect<T>(
    expected: string,
    call: () => Promise<T> | T,
    holds: (counts: ReadThroughStats) => boolean,
  ): Promise<T> {
    const recording = this.track();
    const result = await call();
    const counts = recording.counts();
    if (!holds(counts)) {
      throw new AssertionError({
        message:
          `expected ${expected}, but the call counted ${counts.hits} hit(s) (${counts.staleHits} stale), ` +
          `${counts.misses} miss(es) and ran ${counts.loads} load(s)` +
          (counts.storeErrors > 0 ? `, with ${counts.storeErrors} store error(s)` : ''),
      });
    }
    return result;
  }
}

function countsSince(before: CacheStatsSnapshot, after: CacheStatsSnapshot): ReadThroughStats {
  const counts = {} as Record<keyof ReadThroughStats, number>;
  for (const name of COUNTERS) counts[name] = after[name] - before[name];
  return counts;
}

const COUNTERS = [
  'hits',
  'misses',
  'loads',
  'rejectedEntries',
  'storeErrors',
  'skippedWrites',
  'staleHits',
  'supersededWrites',
  'refreshes',
  'refreshFailures',
  'lockWaits',
] as const satisfies readonly (keyof ReadThroughStats)[];

// Fails to compile when a counter is added to ReadThroughStats and not to COUNTERS.
type UncountedStats = Exclude<keyof ReadThroughStats, (typeof COUNTERS)[number]>;
const everyCounterCounted: [UncountedStats] extends [never] ? true : UncountedStats = true;
void everyCounterCounted;

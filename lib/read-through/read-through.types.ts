import type { CacheEntry } from '../serializers/cache-entry.codec.js';
import type { L1Stats } from '../l1/l1.types.js';

/** Counters of one executor since start-up; see `RedisCacheService.stats()`. */
export interface ReadThroughStats {
  hits: number;
  misses: number;
  /** Method runs (a miss joined by concurrent callers counts once). */
  loads: number;
  /** Stored entries refused on read: foreign, other serializer, corrupt, oversize. */
  rejectedEntries: number;
  /** Store reads or writes that failed or timed out. */
  storeErrors: number;
  /** Results not stored: undefined, null without cacheNull, condition/unless, unserializable. */
  skippedWrites: number;
  /** Hits served stale within the stale-while-revalidate grace. */
  staleHits: number;
  /** Results not stored because their key was evicted or written again while they were produced. */
  supersededWrites: number;
  /** Background refreshes started (stale or early). */
  refreshes: number;
  /** Background refreshes that failed (with fail-safe, the stale value kept being served). */
  refreshFailures: number;
  /** Misses that waited for another process holding the lock. */
  lockWaits: number;
}

/** What {@link ReadThroughExecutor.run} reads through to: the method, and how the caller wants it run. */
export interface ReadThroughSource<T> {
  /** Produces the value to return and store (the method; for routes, the response as sent). */
  load(): Promise<T> | T;
  /** Starts a stale or early refresh that stores by itself (a route's next request); by default `load` runs and is stored. */
  refresh?(): Promise<T> | T;
  /** Skip the lookup and run `load`, storing its result (`forceFresh`, `@CachePut`, a request's `Cache-Control: no-cache`). */
  readonly revalidate?: boolean;
  /** The call's tags (from the policy's templates); its entry is invalidated with any of them. */
  readonly tags?: readonly string[];
  /** The time to live of this result in ms (0: do not store), when the caller decides it (routes). @default the policy's */
  ttlOf?(value: T): number;
  /** Turns a stored value into a `T`, or `undefined` when it is not one (then a refused entry). */
  accept?(value: unknown): T | undefined;
}

/**
 * How {@link ReadThroughExecutor.run} answered: `hit` / `stale` from the store (`entry` has its
 * times); `miss`, this caller ran the method; `joined`, another caller's run in this process (or,
 * under the lock, another process's stored value) answered; `bypass`, the store failed, the
 * method ran uncached.
 */
export type ReadThroughOutcome<T> =
  | { readonly kind: 'hit' | 'stale'; readonly value: T; readonly entry: CacheEntry }
  | { readonly kind: 'miss' | 'joined' | 'bypass'; readonly value: T };

/**
 * What `RedisCacheService.stats()` returns: the counters, loads in flight, and with an L1 its
 * counters, size and whether it is serving (tracking confirmed on a live connection).
 */
export type CacheStatsSnapshot = Readonly<ReadThroughStats> & { readonly inflight: number } & Partial<
    Readonly<L1Stats> & { readonly l1Size: number; readonly l1Live: boolean }
  >;

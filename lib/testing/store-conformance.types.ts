import type { CacheStore } from '../store/cache.store.js';

/** What one {@link StoreConformanceCase} runs against. */
export interface StoreConformanceContext {
  readonly store: CacheStore;
  /** A key unique to this case (and this run), so cases never see each other's keys. */
  key(name: string): string;
  /**
   * A tag key unique to this case; all of one case's tag keys share a Redis Cluster hash slot,
   * as the library's own do (multi-key tag commands stay single-slot).
   */
  tagKey(name: string): string;
  /** A channel name unique to this case, for lock release announcements. */
  channel(name: string): string;
}

/** One check of the {@link CacheStore} contract; `run` rejects (an `AssertionError`) when it fails. */
export interface StoreConformanceCase {
  readonly name: string;
  run(context: StoreConformanceContext): Promise<void>;
}

/** Time to live of keys that must expire during a case (real time: the cases sleep past it). */
export const SHORT_TTL_MS = 100;
/** Time to live of keys that must still exist when a case ends. */
export const LONG_TTL_MS = 30_000;
/** Time to live that a case lengthens before it runs out (generous: two awaited calls lie in between). */
export const EXTENDED_TTL_MS = 400;

/** Sleeps `ms` of real time. */
export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

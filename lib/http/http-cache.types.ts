import type { ValidHttpEntry } from './http-cache.entry.js';

/** How a response was produced, as told by the cache status header. */
export type CacheStatus = 'HIT' | 'STALE' | 'MISS' | 'BYPASS';

/** A response about to be sent by the interceptor, handed to {@link ReadThroughInterceptor.setHeaders}. */
export interface CachedResponse {
  readonly status: CacheStatus;
  /** The stored entry (absent on BYPASS and before a MISS was sent). */
  readonly entry?: ValidHttpEntry;
  readonly createdAt?: number;
  readonly freshUntil?: number;
}

import type { ExecutionContext } from '@nestjs/common';
import type { CacheClock } from '../clock/cache.clock.js';
import type { ReadThroughOutcome } from '../read-through/read-through.executor.js';
import { entryEtag, type ValidHttpEntry } from './http-cache.entry.js';
import type { CachedResponse, CacheStatus } from './http-cache.types.js';
import { rawResponseOf, requestOf, responseOf } from './http-request.access.js';
import { replayEntry, type ReplayContext } from './response.replay.js';

// How ReadThroughInterceptor answers a request from a stored entry (a hit from the L1 or Redis,
// another request's response, another instance's): what its cache headers say, then the replay.
// The interceptor sets the headers itself, between the two, through its `setHeaders` hook.

/**
 * The cache status and times of a response answered from `entry`: a hit or stale hit tells the
 * stored entry's times; an entry another request just produced (`miss`, `joined`) is new now.
 */
export function cachedResponseOf(
  outcome: ReadThroughOutcome<ValidHttpEntry | undefined>,
  entry: ValidHttpEntry,
  ttlMs: number,
  clock: CacheClock,
): CachedResponse {
  const status: CacheStatus = outcome.kind === 'hit' ? 'HIT' : outcome.kind === 'stale' ? 'STALE' : 'MISS';
  let createdAt: number;
  let freshUntil: number;
  if ('entry' in outcome) ({ createdAt, freshUntil } = outcome.entry);
  else freshUntil = (createdAt = clock.now()) + ttlMs;
  return { status, entry, createdAt, freshUntil };
}

/**
 * Makes the response of `context` send `entry` (a 304 when the request's `If-None-Match` matches
 * its `ETag`, generated when `etag` is on), whatever the rest of the pipeline sends.
 */
export function replayStoredEntry(
  context: ExecutionContext,
  entry: ValidHttpEntry,
  etag: boolean,
  ownHeaders: ReplayContext,
): void {
  const response = responseOf(context);
  replayEntry(
    rawResponseOf(response),
    entry,
    entryEtag(entry, etag),
    requestOf(context).headers['if-none-match'],
    ownHeaders,
  );
}

/**
 * The events of `RedisCacheService.events$`, one union discriminated by `type`.
 *
 * What an event carries, on purpose: the namespace of the key and a label saying which method or
 * route (`'BooksService.findOne'`, `'BooksController.get'`, `'RedisCacheService'` for the
 * programmatic API). Never the cached value, never the key, never tag names, never an error
 * message: keys and tags are built from call arguments and request parts (user ids, e-mail
 * addresses, tokens), and error messages can echo them. Errors are named by their class only
 * (`errorName`). An event is safe to log or to ship to a telemetry backend as it is.
 *
 * @example
 * cache.events$.pipe(filter((e) => e.type === 'load')).subscribe((e) => histogram.record(e.durationMs));
 */
export type RedisCacheEvent =
  | CacheHitEvent
  | CacheStaleHitEvent
  | CacheMissEvent
  | CacheLoadEvent
  | CacheStoreEvent
  | CacheEvictEvent
  | CacheInvalidateTagsEvent
  | CacheRefreshEvent
  | CacheRefreshFailedEvent
  | CacheRefusedEntryEvent
  | CacheStoreErrorEvent
  | CacheLockWaitEvent
  | CacheBreakerOpenEvent
  | CacheBreakerClosedEvent
  | CacheL1HitEvent
  | CacheL1EvictionEvent
  | CacheL1InvalidationEvent
  | CacheL1FlushEvent;

/** The `type`s of {@link RedisCacheEvent}. */
export type RedisCacheEventType = RedisCacheEvent['type'];

/** Where an event of one cached call comes from. */
export interface CacheEventOrigin {
  /** The namespace of the key (module `namespace` unless the method or call sets its own). */
  readonly namespace: string;
  /** Which method or route: `'BooksService.findOne'`, `'BooksController.get'`, `'RedisCacheService'`. */
  readonly label: string;
}

/** A fresh entry answered the call (from Redis, or from the L1, which also emits `l1-hit`). */
export interface CacheHitEvent extends CacheEventOrigin {
  readonly type: 'hit';
}

/** An entry past its freshness, within `staleWhileRevalidate`, answered the call (a refresh starts). */
export interface CacheStaleHitEvent extends CacheEventOrigin {
  readonly type: 'stale-hit';
}

/** Nothing usable was stored (absent, refused, or invalidated by a tag): the method runs. */
export interface CacheMissEvent extends CacheEventOrigin {
  readonly type: 'miss';
}

/** The method (or route handler, or `wrap()` factory) ran, on a miss or a refresh. */
export interface CacheLoadEvent extends CacheEventOrigin {
  readonly type: 'load';
  /** How long the method took, in milliseconds (its own time, not the store's). */
  readonly durationMs: number;
  /** `'error'`: the method threw (nothing was stored; the caller got the error). */
  readonly outcome: 'ok' | 'error';
}

/** An entry was written (a load's result through the fence, or `set()`). */
export interface CacheStoreEvent extends CacheEventOrigin {
  readonly type: 'store';
  /** Size of the stored entry (envelope included), in bytes. */
  readonly bytes: number;
}

/** Entries were removed: by key (`del()`, `evict()`, `@CacheEvict`) or a whole prefix (`clear()`, `all`). */
export interface CacheEvictEvent extends CacheEventOrigin {
  readonly type: 'evict';
  /** `'keys'`: `keys` entries named by key; `'prefix'`: everything under a namespace or the prefix. */
  readonly scope: 'keys' | 'prefix';
  /** How many keys were named (`scope: 'keys'`), 0 for a prefix. */
  readonly keys: number;
}

/** Tags were invalidated (`invalidateTags()`, `@CacheEvict({ tags })`). */
export interface CacheInvalidateTagsEvent extends CacheEventOrigin {
  readonly type: 'invalidate-tags';
  /** How many tags (their names are left out: they are built from arguments). */
  readonly tags: number;
}

/** A background refresh started (a stale hit, or an early refresh of a fresh one). */
export interface CacheRefreshEvent extends CacheEventOrigin {
  readonly type: 'refresh';
  /** Whether the entry being refreshed was already stale. */
  readonly stale: boolean;
}

/** A background refresh failed; with `failSafe` the stale value keeps being served. */
export interface CacheRefreshFailedEvent extends CacheEventOrigin {
  readonly type: 'refresh-failed';
  /** The error's class name (`'TypeError'`), never its message. */
  readonly errorName: string;
}

/** Stored bytes were refused (another serializer, corrupt, foreign, not of this kind): read as a miss and overwritten. */
export interface CacheRefusedEntryEvent extends CacheEventOrigin {
  readonly type: 'refused-entry';
  /** Why, as the codec says: `'corrupt'`, `'foreign'`, `'serializer'`, ... */
  readonly reason: string;
}

/** A store command failed (the call ran uncached when reading and failing open). */
export interface CacheStoreErrorEvent extends CacheEventOrigin {
  readonly type: 'store-error';
  readonly operation: 'read' | 'write';
  /** The error's class name (`'RedisCacheConnectionError'`), never its message. */
  readonly errorName: string;
}

/** A miss found the cross-process lock held elsewhere and waits for the holder's value. */
export interface CacheLockWaitEvent extends CacheEventOrigin {
  readonly type: 'lock-wait';
}

/** The circuit breaker opened: Redis is skipped for the cooldown, calls run uncached. No key: it is the connection's. */
export interface CacheBreakerOpenEvent {
  readonly type: 'breaker-open';
  /** The state it left: `'closed'` (failures crossed the threshold) or `'half-open'` (the probe failed). */
  readonly previous: 'closed' | 'half-open';
}

/** The circuit breaker closed again: Redis answered the probe, caching resumes. */
export interface CacheBreakerClosedEvent {
  readonly type: 'breaker-closed';
}

/** A hit answered by the in-process L1 (also emitted as `hit`). */
export interface CacheL1HitEvent extends CacheEventOrigin {
  readonly type: 'l1-hit';
}

/** The L1 dropped an entry to stay within its bounds (entries or bytes). */
export interface CacheL1EvictionEvent {
  readonly type: 'l1-eviction';
}

/** The L1 dropped an entry because it changed: a Redis invalidation push, or a local write, eviction or tag. */
export interface CacheL1InvalidationEvent {
  readonly type: 'l1-invalidation';
}

/** The L1 dropped everything (a disconnect, a flush push), and serves again once tracking is confirmed. */
export interface CacheL1FlushEvent {
  readonly type: 'l1-flush';
}

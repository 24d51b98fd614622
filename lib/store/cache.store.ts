/**
 * Where cache entries live, as bytes. Two implementations ship: {@link RedisCacheStore} and
 * {@link MemoryCacheStore}; both have the same semantics, so every behaviour test runs against
 * both. Implementations may reject on infrastructure failure; callers decide whether to fail open.
 */
export abstract class CacheStore {
  /** A short name for logs and stats, e.g. `'redis'`. */
  abstract readonly kind: string;

  /** The stored bytes, or `null` when the key is absent or expired. */
  abstract get(key: string): Promise<Buffer | null>;

  /** The stored bytes decoded as UTF-8 (for text serializers), or `null`. */
  abstract getText(key: string): Promise<string | null>;

  /** Stores `value` (a string is stored as its UTF-8 bytes) under `key` for `ttlMs` milliseconds (always > 0). */
  abstract set(key: string, value: Buffer | string, ttlMs: number): Promise<void>;

  /** Deletes `key`; resolves `true` when it existed. */
  abstract delete(key: string): Promise<boolean>;

  /** Whether `key` exists and has not expired. */
  abstract has(key: string): Promise<boolean>;

  /** Remaining time to live of `key` in ms, or `undefined` when it does not exist. */
  abstract ttl(key: string): Promise<number | undefined>;

  /** Deletes every key that starts with `keyPrefix`; resolves how many were deleted. */
  abstract deleteByPrefix(keyPrefix: string): Promise<number>;

  /**
   * The first half of a fenced write (the second is {@link setIfUnchanged}): when `key` is
   * absent it gets `marker` for `markerTtlMs`; resolves a stamp of what `key` now holds. Loads
   * take the stamp before they run, so that an eviction or a newer write while they run makes
   * their `setIfUnchanged` a no-op: a load never writes back a value older than an eviction.
   */
  abstract prepareWrite(key: string, marker: string, markerTtlMs: number): Promise<WriteStamp>;

  /** Stores `value` for `ttlMs` only if `key` still holds what `stamp` was taken of; resolves whether it did. */
  abstract setIfUnchanged(key: string, stamp: WriteStamp, value: Buffer | string, ttlMs: number): Promise<boolean>;

  /** Deletes `key` only if it holds exactly `marker` (a load that will not store takes its marker back). */
  abstract deleteMarker(key: string, marker: string): Promise<boolean>;

  /** The versions held by tag keys (`null` where absent). */
  abstract getTagVersions(keys: readonly string[]): Promise<(string | null)[]>;

  /**
   * Gives each absent tag key the matching one of `versions`, makes every one live at least
   * `ttlMs` (never shorter than it was), and resolves the version each holds now.
   */
  abstract prepareTags(keys: readonly string[], versions: readonly string[], ttlMs: number): Promise<(string | null)[]>;

  /** Makes every tag key that exists live at least `ttlMs` more (never shortens a time to live). */
  abstract extendTags(keys: readonly string[], ttlMs: number): Promise<void>;

  /** Deletes tag keys (so every entry that recorded their versions is invalid); resolves how many existed. */
  abstract deleteTags(keys: readonly string[]): Promise<number>;

  /**
   * Tells `listener` about every key this store's connection read that was changed, deleted,
   * expired or evicted by anyone, and whether such news can be trusted right now (an in-process
   * L1 serves only while it can). Resolves whether the store can do this at all; by default it
   * cannot, and no L1 is used in front of it.
   */
  watchInvalidations(listener: InvalidationListener): boolean {
    void listener;
    return false;
  }

  /** Takes the lock `key` for `ttlMs` if nobody holds it; resolves whether it was taken. */
  abstract acquireLock(key: string, token: string, ttlMs: number): Promise<boolean>;

  /** Releases the lock `key` only if `token` still holds it (never someone else's lock). */
  abstract releaseLock(key: string, token: string): Promise<boolean>;

  /**
   * Extends the lock `key` to `ttlMs` from now only if `token` still holds it (an atomic
   * compare-and-expire, so a holder never extends a successor's lock); resolves whether it did.
   */
  abstract renewLock(key: string, token: string, ttlMs: number): Promise<boolean>;

  /**
   * Tells every process on this store (this one included) that the lock `key` was released on
   * `channel`. Best effort: a lost announcement only delays waiters until their next poll.
   */
  abstract announceLockRelease(channel: string, key: string): Promise<void>;

  /**
   * Calls `listener` with the lock key of every release announced on `channel`, for the life of
   * the store. The first call may open a connection; it never waits for it or fails because of it.
   */
  abstract watchLockReleases(channel: string, listener: (key: string) => void): LockReleaseWatch;
}

/** What {@link CacheStore.watchInvalidations} reports to. */
export interface InvalidationListener {
  /** `key` is no longer what was read; `null`: no key is (the database was flushed). */
  invalidate(key: string | null): void;
  /** Whether invalidations arrive right now; `false` after any break, when some may have been lost. */
  live(live: boolean): void;
}

/** What {@link CacheStore.prepareWrite} resolves: opaque, only for {@link CacheStore.setIfUnchanged} of the same store. */
export type WriteStamp = unknown;

/** A subscription made by {@link CacheStore.watchLockReleases}. */
export interface LockReleaseWatch {
  /** Whether announcements arrive right now (subscribed and connected); waiters poll more often while not. */
  readonly live: boolean;
}

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

/** A subscription made by {@link CacheStore.watchLockReleases}. */
export interface LockReleaseWatch {
  /** Whether announcements arrive right now (subscribed and connected); waiters poll more often while not. */
  readonly live: boolean;
}

import { LRUCache } from 'lru-cache';
import { SYSTEM_CLOCK, type CacheClock } from '../clock/cache.clock.js';
import { CacheStore, type LockReleaseWatch, type WriteStamp } from './cache.store.js';

/**
 * {@link CacheStore} in this process: an LRU bounded by entry count and bytes, with per-entry
 * TTL (`lru-cache`). It stores the same encoded entries as Redis (strings are immutable, Buffers
 * are never handed out for writing), so every hit decodes a fresh copy and callers never share
 * (and mutate) one object, exactly as with Redis.
 */
export class MemoryCacheStore extends CacheStore {
  readonly kind = 'memory';
  private readonly entries: LRUCache<string, Buffer | string>;
  /**
   * Tag versions. Bounded like the entries (an entry carries at most a few tags): a tag dropped
   * by the bound makes the entries that recorded it read as invalidated, never as valid.
   */
  private readonly tagVersions: LRUCache<string, string>;
  /** Lock owners by key with their expiry; one process, so single-flight already does most of the work. */
  private readonly locks = new Map<string, { token: string; expiresAt: number }>();
  /** In-process lock release announcements, by channel. */
  private readonly releaseListeners = new Map<string, Set<(key: string) => void>>();

  /** @param clock where expiry is read (entries, tags and locks), so a `TestClock` moves it. */
  constructor(
    bounds: { maxEntries: number; maxBytes: number },
    private readonly clock: CacheClock = SYSTEM_CLOCK,
  ) {
    super();
    this.entries = new LRUCache<string, Buffer | string>({
      max: bounds.maxEntries,
      maxSize: bounds.maxBytes,
      sizeCalculation: (value, key) =>
        (typeof value === 'string' ? Buffer.byteLength(value) : value.length) + key.length,
      // Expired entries are dropped when read; the size bounds keep the rest in check.
      ttlAutopurge: false,
      // Exact clock readings, so ttl() never reports more than was set (lru-cache reuses a
      // reading for 1 ms by default).
      ttlResolution: 0,
      // lru-cache reads performance.now() by default; the cache's clock keeps expiry and entry timestamps on one time.
      perf: clock,
    });
    this.tagVersions = new LRUCache<string, string>({
      max: bounds.maxEntries,
      ttlAutopurge: false,
      ttlResolution: 0,
      perf: clock,
    });
  }

  async get(key: string): Promise<Buffer | null> {
    const value = this.entries.get(key);
    if (value === undefined) return null;
    return typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  }

  async getText(key: string): Promise<string | null> {
    const value = this.entries.get(key);
    if (value === undefined) return null;
    return typeof value === 'string' ? value : value.toString('utf8');
  }

  async set(key: string, value: Buffer | string, ttlMs: number): Promise<void> {
    this.entries.set(key, value, { ttl: ttlMs });
  }

  async delete(key: string): Promise<boolean> {
    return this.entries.delete(key);
  }

  async has(key: string): Promise<boolean> {
    return this.entries.has(key);
  }

  async ttl(key: string): Promise<number | undefined> {
    if (!this.entries.has(key)) return undefined;
    // Whole milliseconds, as Redis PTTL reports them.
    return Math.max(0, Math.floor(this.entries.getRemainingTTL(key)));
  }

  async deleteByPrefix(keyPrefix: string): Promise<number> {
    let deleted = 0;
    for (const key of [...this.entries.keys()]) {
      if (key.startsWith(keyPrefix) && this.entries.delete(key)) deleted++;
    }
    return deleted;
  }

  async prepareWrite(key: string, marker: string, markerTtlMs: number): Promise<WriteStamp> {
    let current = this.entries.get(key);
    if (current === undefined) this.entries.set(key, (current = marker), { ttl: markerTtlMs });
    // Each write stores a new string or Buffer, so identity tells writes apart (equal text is an equal write).
    return current;
  }

  async setIfUnchanged(key: string, stamp: WriteStamp, value: Buffer | string, ttlMs: number): Promise<boolean> {
    const current = this.entries.get(key);
    if (current === undefined || current !== stamp) return false;
    this.entries.set(key, value, { ttl: ttlMs });
    return true;
  }

  async deleteMarker(key: string, marker: string): Promise<boolean> {
    return this.entries.get(key) === marker && this.entries.delete(key);
  }

  async getTagVersions(keys: readonly string[]): Promise<(string | null)[]> {
    return keys.map((key) => this.tagVersions.get(key) ?? null);
  }

  async prepareTags(keys: readonly string[], versions: readonly string[], ttlMs: number): Promise<(string | null)[]> {
    keys.forEach((key, i) => {
      if (!this.tagVersions.has(key)) this.tagVersions.set(key, versions[i], { ttl: ttlMs });
    });
    await this.extendTags(keys, ttlMs);
    return this.getTagVersions(keys);
  }

  async extendTags(keys: readonly string[], ttlMs: number): Promise<void> {
    for (const key of keys) {
      const version = this.tagVersions.get(key);
      if (version !== undefined && this.tagVersions.getRemainingTTL(key) < ttlMs) {
        this.tagVersions.set(key, version, { ttl: ttlMs });
      }
    }
  }

  async deleteTags(keys: readonly string[]): Promise<number> {
    return keys.filter((key) => this.tagVersions.delete(key)).length;
  }

  async acquireLock(key: string, token: string, ttlMs: number): Promise<boolean> {
    const held = this.locks.get(key);
    const now = this.clock.now();
    if (held && held.expiresAt > now) return false;
    this.locks.set(key, { token, expiresAt: now + ttlMs });
    return true;
  }

  async releaseLock(key: string, token: string): Promise<boolean> {
    const held = this.locks.get(key);
    if (held?.token !== token) return false;
    this.locks.delete(key);
    // An expired lock is nobody's: releasing it reports false, as Redis does once the key expired.
    return held.expiresAt > this.clock.now();
  }

  async renewLock(key: string, token: string, ttlMs: number): Promise<boolean> {
    const held = this.locks.get(key);
    const now = this.clock.now();
    if (held?.token !== token || held.expiresAt <= now) return false;
    held.expiresAt = now + ttlMs;
    return true;
  }

  async announceLockRelease(channel: string, key: string): Promise<void> {
    const listeners = this.releaseListeners.get(channel);
    // Delivered on a later microtask, as a message would be: never inside the holder's call.
    if (listeners) for (const listener of listeners) queueMicrotask(() => listener(key));
  }

  watchLockReleases(channel: string, listener: (key: string) => void): LockReleaseWatch {
    let listeners = this.releaseListeners.get(channel);
    if (!listeners) this.releaseListeners.set(channel, (listeners = new Set()));
    listeners.add(listener);
    return ALWAYS_LIVE;
  }

  /** Number of entries held (expired ones not yet read may be included). */
  get size(): number {
    return this.entries.size;
  }
}

/** Announcements within one process cannot be lost. */
const ALWAYS_LIVE: LockReleaseWatch = { live: true };

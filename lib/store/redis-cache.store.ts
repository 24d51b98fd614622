import type { RedisPoolService } from '../connection/redis-pool.service.js';
import { ErrorReply } from 'redis';
import { CacheStore, type InvalidationListener, type LockReleaseWatch, type WriteStamp } from './cache.store.js';

/** {@link CacheStore} on Redis, through the bounded command lane of {@link RedisPoolService}. */
export class RedisCacheStore extends CacheStore {
  readonly kind = 'redis';

  constructor(private readonly redis: RedisPoolService) {
    super();
  }

  get(key: string): Promise<Buffer | null> {
    return this.redis.get(key);
  }

  getText(key: string): Promise<string | null> {
    return this.redis.getText(key);
  }

  set(key: string, value: Buffer | string, ttlMs: number): Promise<void> {
    return this.redis.set(key, value, ttlMs);
  }

  async delete(key: string): Promise<boolean> {
    return (await this.redis.unlink(key)) > 0;
  }

  has(key: string): Promise<boolean> {
    return this.redis.exists(key);
  }

  async ttl(key: string): Promise<number | undefined> {
    const remaining = await this.redis.pttl(key);
    return remaining < 0 ? undefined : remaining;
  }

  deleteByPrefix(keyPrefix: string): Promise<number> {
    return this.redis.deleteByPrefix(keyPrefix);
  }

  prepareWrite(key: string, marker: string, markerTtlMs: number): Promise<WriteStamp> {
    return this.redis.commands.prepareWrite(key, marker, markerTtlMs);
  }

  setIfUnchanged(key: string, stamp: WriteStamp, value: Buffer | string, ttlMs: number): Promise<boolean> {
    return this.redis.commands.setIfUnchanged(key, String(stamp), value, ttlMs);
  }

  deleteMarker(key: string, marker: string): Promise<boolean> {
    return this.redis.deleteIfEquals(key, marker);
  }

  getTagVersions(keys: readonly string[]): Promise<(string | null)[]> {
    // MGET without keys is an error reply; none asked, none held.
    return keys.length === 0 ? Promise.resolve([]) : this.redis.commands.mGetText([...keys]);
  }

  async prepareTags(keys: readonly string[], versions: readonly string[], ttlMs: number): Promise<(string | null)[]> {
    if (keys.length === 0) return [];
    // Sent back to back on one connection (tag keys share a slot), so the MGET sees both writes.
    const writes = keys.map((key, i) => this.redis.commands.setIfAbsent(key, versions[i], ttlMs));
    const extended = this.extendTags(keys, ttlMs);
    const current = this.redis.commands.mGetText([...keys]);
    await Promise.all([...writes, extended]);
    return current;
  }

  async extendTags(keys: readonly string[], ttlMs: number): Promise<void> {
    await Promise.all(keys.map((key) => this.redis.commands.extendTtl(key, ttlMs).catch(toleratePre7)));
  }

  deleteTags(keys: readonly string[]): Promise<number> {
    return keys.length === 0 ? Promise.resolve(0) : this.redis.commands.unlinkAll([...keys]);
  }

  override watchInvalidations(listener: InvalidationListener): boolean {
    return this.redis.watchTracking(listener);
  }

  acquireLock(key: string, token: string, ttlMs: number): Promise<boolean> {
    return this.redis.setIfAbsent(key, token, ttlMs);
  }

  releaseLock(key: string, token: string): Promise<boolean> {
    return this.redis.deleteIfEquals(key, token);
  }

  renewLock(key: string, token: string, ttlMs: number): Promise<boolean> {
    return this.redis.commands.expireIfEquals(key, token, ttlMs);
  }

  async announceLockRelease(channel: string, key: string): Promise<void> {
    await this.redis.commands.publish(channel, key);
  }

  watchLockReleases(channel: string, listener: (key: string) => void): LockReleaseWatch {
    return this.redis.subscriber.listen(channel, listener);
  }
}

/**
 * Redis before 7.0 has no `PEXPIRE ... GT` and answers with an error reply. Tag keys then keep the
 * time to live they were created with: entries outliving it read as invalidated (a miss, never a
 * wrong value). Connection errors still reject.
 */
function toleratePre7(error: unknown): number {
  if (error instanceof ErrorReply) return 0;
  throw error;
}

import type { RedisPoolService } from '../connection/redis-pool.service.js';
import { CacheStore, type LockReleaseWatch } from './cache.store.js';

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

/**
 * Bring your own store: `store: <a CacheStore>` is what every cache path uses (no Redis
 * connection is opened, even with requireConnectionOnBootstrap), its calls are what the
 * read-through core makes, and a store lacking part of the contract, or a clock without now(),
 * is refused at bootstrap naming what is missing.
 */
import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  CacheStore,
  InvalidRedisCacheOptionsError,
  ReadThrough,
  RedisCacheModule,
  RedisCacheService,
  RedisPoolService,
  type LockReleaseWatch,
  type WriteStamp,
} from '../../lib/index.js';
import { resolveRedisCacheOptions } from '../../lib/options/redis-cache-options.resolver.js';
import { MemoryCacheStore } from '../../lib/store/memory-cache.store.js';

/** A user's store: delegates to a memory store and records each call's method name. */
class RecordingStore extends CacheStore {
  readonly kind = 'recording';
  readonly calls: string[] = [];
  private readonly inner = new MemoryCacheStore({ maxEntries: 100, maxBytes: 1024 * 1024 });

  private record<T>(name: string, result: T): T {
    this.calls.push(name);
    return result;
  }
  get = (key: string) => this.record('get', this.inner.get(key));
  getText = (key: string) => this.record('getText', this.inner.getText(key));
  set = (key: string, value: Buffer | string, ttlMs: number) => this.record('set', this.inner.set(key, value, ttlMs));
  delete = (key: string) => this.record('delete', this.inner.delete(key));
  has = (key: string) => this.record('has', this.inner.has(key));
  ttl = (key: string) => this.record('ttl', this.inner.ttl(key));
  deleteByPrefix = (prefix: string) => this.record('deleteByPrefix', this.inner.deleteByPrefix(prefix));
  prepareWrite = (key: string, marker: string, ttlMs: number) =>
    this.record('prepareWrite', this.inner.prepareWrite(key, marker, ttlMs));
  setIfUnchanged = (key: string, stamp: WriteStamp, value: Buffer | string, ttlMs: number) =>
    this.record('setIfUnchanged', this.inner.setIfUnchanged(key, stamp, value, ttlMs));
  deleteMarker = (key: string, marker: string) => this.record('deleteMarker', this.inner.deleteMarker(key, marker));
  getTagVersions = (keys: readonly string[]) => this.record('getTagVersions', this.inner.getTagVersions(keys));
  prepareTags = (keys: readonly string[], versions: readonly string[], ttlMs: number) =>
    this.record('prepareTags', this.inner.prepareTags(keys, versions, ttlMs));
  extendTags = (keys: readonly string[], ttlMs: number) =>
    this.record('extendTags', this.inner.extendTags(keys, ttlMs));
  deleteTags = (keys: readonly string[]) => this.record('deleteTags', this.inner.deleteTags(keys));
  acquireLock = (key: string, token: string, ttlMs: number) =>
    this.record('acquireLock', this.inner.acquireLock(key, token, ttlMs));
  releaseLock = (key: string, token: string) => this.record('releaseLock', this.inner.releaseLock(key, token));
  renewLock = (key: string, token: string, ttlMs: number) =>
    this.record('renewLock', this.inner.renewLock(key, token, ttlMs));
  announceLockRelease = (channel: string, key: string) =>
    this.record('announceLockRelease', this.inner.announceLockRelease(channel, key));
  watchLockReleases = (channel: string, listener: (key: string) => void): LockReleaseWatch =>
    this.record('watchLockReleases', this.inner.watchLockReleases(channel, listener));
}

@Injectable()
class PricesService {
  runs = 0;
  @ReadThrough('price:{0}', '1m')
  async price(sku: string): Promise<number> {
    this.runs++;
    return sku.length;
  }
}

describe('a custom store passed as store', () => {
  it('serves every cache path, and no Redis connection is opened', async () => {
    const store = new RecordingStore();
    const ref = await Test.createTestingModule({
      // Nothing listens on port 1: a connection attempt would fail the bootstrap.
      imports: [RedisCacheModule.forRoot({ store, url: 'redis://127.0.0.1:1', requireConnectionOnBootstrap: true })],
      providers: [PricesService],
    }).compile();
    await ref.init();
    try {
      expect(ref.get(CacheStore)).toBe(store);
      expect(ref.get(RedisPoolService).isReady).toBe(false);
      const prices = ref.get(PricesService);
      expect(await prices.price('abc')).toBe(3);
      expect(await prices.price('abc')).toBe(3);
      expect(prices.runs).toBe(1);
      // The miss: read, stamp, store through the fence; the hit: one read.
      expect(store.calls).toEqual(['getText', 'prepareWrite', 'setIfUnchanged', 'getText']);
      const cache = ref.get(RedisCacheService);
      expect(await cache.evict(PricesService, 'price', 'abc')).toBe(true);
      expect(store.calls.at(-1)).toBe('delete');
      expect(cache.stats()).toMatchObject({ hits: 1, misses: 1, loads: 1, storeErrors: 0 });
    } finally {
      await ref.close();
    }
  });

  it('a store whose reads throw synchronously fails open: the method runs, its value comes back, the error is counted', async () => {
    class ThrowingReads extends RecordingStore {
      override get = (): Promise<Buffer | null> => {
        throw new Error('store down');
      };
      override getText = (): Promise<string | null> => {
        throw new Error('store down');
      };
    }
    const ref = await Test.createTestingModule({
      imports: [RedisCacheModule.forRoot({ store: new ThrowingReads() })],
      providers: [PricesService],
    }).compile();
    await ref.init();
    try {
      const prices = ref.get(PricesService);
      expect(await prices.price('abcd')).toBe(4);
      expect(await ref.get(RedisCacheService).wrap('w', async () => 'fresh')).toBe('fresh');
      expect(prices.runs).toBe(1);
      expect(ref.get(RedisCacheService).stats()).toMatchObject({ hits: 0, storeErrors: 2 });
    } finally {
      await ref.close();
    }
  });

  it('is refused at bootstrap when it lacks part of the contract, naming what', () => {
    const partial = { kind: 'partial', get: async () => null, getText: async () => null };
    expect(() => resolveRedisCacheOptions({ store: partial as never })).toThrow(InvalidRedisCacheOptionsError);
    expect(() => resolveRedisCacheOptions({ store: partial as never })).toThrow(
      /the custom store lacks set, delete, has, ttl, deleteByPrefix, prepareWrite, .*watchLockReleases/,
    );
    const { kind: _kind, ...nameless } = Object.assign(Object.create(null) as object, new RecordingStore());
    void _kind;
    expect(() => resolveRedisCacheOptions({ store: nameless as never })).toThrow('the custom store lacks kind');
    expect(() => resolveRedisCacheOptions({ store: 'disk' as never })).toThrow('unknown store "disk"');
    expect(resolveRedisCacheOptions({ store: new RecordingStore() }).store).toBeInstanceOf(RecordingStore);
  });

  it('refuses a clock without now()', () => {
    expect(() => resolveRedisCacheOptions({ clock: {} as never })).toThrow(
      /"clock": expected an object with a now\(\) method/,
    );
    const clock = { now: () => 42 };
    expect(resolveRedisCacheOptions({ clock }).clock).toBe(clock);
    expect(resolveRedisCacheOptions({}).clock.now()).toBeGreaterThan(0);
  });
});

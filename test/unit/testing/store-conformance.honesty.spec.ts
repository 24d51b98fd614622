/**
 * The store conformance suite can fail: each store here breaks one clause of the CacheStore
 * contract (a subclass of the memory store overriding one method) and the case checking that
 * clause rejects, while the same case passes on the unbroken store (the control).
 */
import { randomBytes } from 'node:crypto';
import { MemoryCacheStore } from '../../../lib/store/memory-cache.store.js';
import type { WriteStamp } from '../../../lib/store/cache.store.js';
import {
  assertCacheStoreConformance,
  STORE_CONFORMANCE_CASES,
  type StoreConformanceContext,
} from '../../../lib/testing/index.js';

const BOUNDS = { maxEntries: 10_000, maxBytes: 64 * 1024 * 1024 };

function contextFor(store: MemoryCacheStore): StoreConformanceContext {
  const prefix = `honesty:${randomBytes(4).toString('hex')}`;
  return {
    store,
    key: (name) => `${prefix}:${name}`,
    tagKey: (name) => `{${prefix}}:${name}`,
    channel: (name) => `${prefix}:${name}`,
  };
}

function caseNamed(start: string) {
  const found = STORE_CONFORMANCE_CASES.filter((c) => c.name.startsWith(start));
  if (found.length !== 1) throw new Error(`${found.length} cases start with "${start}"`);
  return found[0];
}

/** Releases whatever token once held the lock, expired or not (what the memory store did before). */
class ReleasesExpiredLocks extends MemoryCacheStore {
  private readonly owners = new Map<string, string>();
  override async acquireLock(key: string, token: string, ttlMs: number): Promise<boolean> {
    const taken = await super.acquireLock(key, token, ttlMs);
    if (taken) this.owners.set(key, token);
    return taken;
  }
  override async releaseLock(key: string, token: string): Promise<boolean> {
    const owned = this.owners.get(key) === token;
    await super.releaseLock(key, token);
    if (owned) this.owners.delete(key);
    return owned;
  }
}

/** Reads the prefix as a glob, as a naive `SCAN MATCH <prefix>*` would. */
class GlobPrefix extends MemoryCacheStore {
  override async deleteByPrefix(keyPrefix: string): Promise<number> {
    const pattern = new RegExp(
      `^${keyPrefix
        .replace(/[.+^${}()|\\]/g, '\\$&')
        .replace(/\*/g, '.*')
        .replace(/\?/g, '.')}`,
    );
    let deleted = 0;
    for (const key of await this.keysMatching(pattern)) if (await this.delete(key)) deleted++;
    return deleted;
  }
  private async keysMatching(pattern: RegExp): Promise<string[]> {
    const entries = (this as unknown as { entries: { keys(): IterableIterator<string> } }).entries;
    return [...entries.keys()].filter((key) => pattern.test(key));
  }
}

/** Stores whatever the stamp (no fence). */
class Unfenced extends MemoryCacheStore {
  override async setIfUnchanged(key: string, _stamp: WriteStamp, value: Buffer | string, ttlMs: number) {
    await this.set(key, value, ttlMs);
    return true;
  }
}

/** Sets the ttl given, shorter or not. */
class ShortensTags extends MemoryCacheStore {
  override async extendTags(keys: readonly string[], ttlMs: number): Promise<void> {
    const tags = (
      this as unknown as { tagVersions: Map<string, string> & { set(k: string, v: string, o: object): void } }
    ).tagVersions;
    for (const key of keys) {
      const version = tags.get(key);
      if (version !== undefined) tags.set(key, version, { ttl: ttlMs });
    }
  }
}

/** Overwrites existing tag versions (an entry's recorded version would never match again, or worse, match a newer one). */
class OverwritesTags extends MemoryCacheStore {
  override async prepareTags(keys: readonly string[], versions: readonly string[], ttlMs: number) {
    await this.deleteTags(keys);
    return super.prepareTags(keys, versions, ttlMs);
  }
}

/** Announcements go nowhere. */
class Mute extends MemoryCacheStore {
  override async announceLockRelease(): Promise<void> {}
}

/** Stores strings as Latin-1 bytes. */
class Latin1 extends MemoryCacheStore {
  override async set(key: string, value: Buffer | string, ttlMs: number): Promise<void> {
    return super.set(key, typeof value === 'string' ? Buffer.from(value, 'latin1') : value, ttlMs);
  }
}

const BROKEN: [string, string, new (bounds: typeof BOUNDS) => MemoryCacheStore][] = [
  ['releases an expired lock', 'a lock expires after its ttl', ReleasesExpiredLocks],
  ['deletes by a glob prefix', 'deletes by a literal prefix', GlobPrefix],
  ['stores without a fence', 'setIfUnchanged refuses after the key was deleted', Unfenced],
  ['stores without a fence (newer write)', 'setIfUnchanged refuses after a newer set', Unfenced],
  ['shortens tag keys', 'extendTags lengthens, never shortens', ShortensTags],
  ['overwrites tag versions', 'prepareTags gives absent tag keys their version', OverwritesTags],
  ['drops announcements', 'announceLockRelease reaches every watcher', Mute],
  ['stores strings as Latin-1', 'round-trips every byte value', Latin1],
];

describe('the store conformance suite fails stores that break the contract', () => {
  it.each(BROKEN)(
    'a store that %s fails "%s…"',
    async (_, start, Broken) => {
      const check = caseNamed(start);
      await expect(check.run(contextFor(new MemoryCacheStore(BOUNDS)))).resolves.toBeUndefined();
      await expect(check.run(contextFor(new Broken(BOUNDS)))).rejects.toThrow();
    },
    15_000,
  );

  it('assertCacheStoreConformance names every failing check in one AggregateError', async () => {
    const failure = await assertCacheStoreConformance(new Unfenced(BOUNDS)).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(AggregateError);
    const messages = (failure as AggregateError).errors.map((e: Error) => e.message);
    expect(messages.some((m) => m.startsWith('setIfUnchanged refuses after the key was deleted'))).toBe(true);
    expect(messages.some((m) => m.startsWith('round-trips every byte value'))).toBe(false);
  }, 30_000);
});

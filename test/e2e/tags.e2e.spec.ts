/**
 * Tags (README "Tags"): `invalidateTags()` drops every entry carrying a tag, fresh or stale, in
 * every process, at a constant cost, on both stores. Every assertion is about what callers get,
 * how often the method ran and what Redis holds, never about speed.
 */
import 'reflect-metadata';
import { setTimeout as sleep } from 'node:timers/promises';
import { Injectable, type Provider } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import { ReadThrough, RedisCacheService, type RedisCacheModuleOptions } from '../../lib/index.js';
import { cacheTestingModule, trackTestingModules } from '../helpers/nest-testing.helper.js';
import { cli, storedKeys } from '../helpers/redis-cli.helper.js';
import { flushPrefix, uniquePrefix, useTestRedis } from '../helpers/test-redis.js';

type StoreKind = 'redis' | 'memory';

const redis = useTestRedis();

interface Book {
  isbn: string;
  authorId: number;
  title: string;
}

@Injectable()
class BookService {
  runs = 0;
  /** Per isbn, what the "database" holds now. */
  readonly titles = new Map<string, string>();
  delayMs = 0;

  @ReadThrough('book:{0.isbn}', '1m', { tags: ['books', 'author:{0.authorId}'] })
  async find(query: { isbn: string; authorId: number }): Promise<Book> {
    this.runs++;
    const title = this.titles.get(query.isbn) ?? 'first';
    if (this.delayMs > 0) await sleep(this.delayMs);
    return { ...query, title };
  }

  @ReadThrough('short:{0}', '1s', { tags: ['short'], staleWhileRevalidate: '30s' })
  async short(id: string): Promise<{ id: string; run: number }> {
    this.runs++;
    return { id, run: this.runs };
  }
}

/** Commands the server executed, by name, from `INFO commandstats`. */
async function commandCounts(): Promise<Map<string, number>> {
  const text = await cli(redis, 'INFO', 'commandstats');
  const counts = new Map<string, number>();
  for (const match of text.matchAll(/^cmdstat_([a-z|]+):calls=(\d+)/gm)) counts.set(match[1], Number(match[2]));
  return counts;
}

function delta(before: Map<string, number>, after: Map<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, calls] of after) {
    const d = calls - (before.get(name) ?? 0);
    // INFO itself shows up in its own statistics.
    if (d > 0 && name !== 'info') out[name] = d;
  }
  return out;
}

describe.each<StoreKind>(['redis', 'memory'])('tags on the %s store', (store) => {
  const modules = trackTestingModules();
  const prefixes: string[] = [];
  afterEach(async () => {
    if (store === 'redis') for (const prefix of prefixes.splice(0)) await flushPrefix(redis.url(), prefix);
  });

  async function boot(prefix: string, extra: RedisCacheModuleOptions = {}, providers: Provider[] = [BookService]) {
    const options: RedisCacheModuleOptions = {
      store,
      ...(store === 'redis' ? { url: redis.url() } : {}),
      prefix,
      operationTimeout: '5s',
      ...extra,
    };
    const ref: TestingModule = await modules.boot(cacheTestingModule(options, providers));
    return { ref, svc: ref.get(BookService), cache: ref.get(RedisCacheService) };
  }

  function newPrefix(label: string): string {
    const prefix = uniquePrefix(`tags-${store}-${label}`);
    prefixes.push(prefix);
    return prefix;
  }

  it('invalidateTags drops exactly the entries carrying the tag; others keep hitting', async () => {
    const { svc, cache } = await boot(newPrefix('exact'));
    await svc.find({ isbn: 'a', authorId: 7 });
    await svc.find({ isbn: 'b', authorId: 7 });
    await svc.find({ isbn: 'c', authorId: 8 });
    expect(svc.runs).toBe(3);
    await svc.find({ isbn: 'a', authorId: 7 });
    expect(svc.runs).toBe(3);

    svc.titles.set('a', 'second').set('b', 'second').set('c', 'second');
    await cache.invalidateTags(['author:7']);
    expect(await svc.find({ isbn: 'a', authorId: 7 })).toEqual({ isbn: 'a', authorId: 7, title: 'second' });
    expect(await svc.find({ isbn: 'b', authorId: 7 })).toEqual({ isbn: 'b', authorId: 7, title: 'second' });
    // author:8 was not invalidated: still the first value, from the cache.
    expect(await svc.find({ isbn: 'c', authorId: 8 })).toEqual({ isbn: 'c', authorId: 8, title: 'first' });
    expect(svc.runs).toBe(5);
    // The re-loaded entries are cached again under the new tag version.
    await svc.find({ isbn: 'a', authorId: 7 });
    expect(svc.runs).toBe(5);

    await cache.invalidateTags(['books']);
    expect((await svc.find({ isbn: 'c', authorId: 8 })).title).toBe('second');
    expect(svc.runs).toBe(6);
  });

  it("an entry recorded under another call's tag values is not served to this call", async () => {
    const { svc, cache } = await boot(newPrefix('other-tags'));
    // One key (the isbn) but the tags read another argument: author 7's entry is not author 8's.
    expect(await svc.find({ isbn: 'same', authorId: 7 })).toEqual({ isbn: 'same', authorId: 7, title: 'first' });
    expect(await svc.find({ isbn: 'same', authorId: 8 })).toEqual({ isbn: 'same', authorId: 8, title: 'first' });
    expect(svc.runs).toBe(2);
    // Invalidating author 7 does not leave author 7's value behind under the shared key.
    await cache.invalidateTags(['author:7']);
    expect((await svc.find({ isbn: 'same', authorId: 7 })).authorId).toBe(7);
  });

  it('a stale entry in its grace is not served after its tag is invalidated', async () => {
    const { svc, cache } = await boot(newPrefix('stale'));
    expect((await svc.short('x')).run).toBe(1);
    await sleep(1_100);
    // Past the TTL, in the grace: without invalidation a stale hit (run 1) would be served.
    await cache.invalidateTags(['short']);
    const after = await svc.short('x');
    expect(after.run).toBeGreaterThan(1);
  });

  it('a load running while its tag is invalidated does not leave a valid entry behind', async () => {
    const { svc, cache } = await boot(newPrefix('inflight'));
    svc.delayMs = 300;
    const loading = svc.find({ isbn: 'slow', authorId: 9 });
    await sleep(100);
    await cache.invalidateTags(['author:9']);
    svc.titles.set('slow', 'after');
    // The caller that started before the invalidation gets what its load produced...
    expect((await loading).title).toBe('first');
    svc.delayMs = 0;
    // ...but nobody gets it from the cache afterwards.
    expect((await svc.find({ isbn: 'slow', authorId: 9 })).title).toBe('after');
    expect(svc.runs).toBe(2);
  });

  it('a caller arriving after invalidateTags does not join a load that started before it', async () => {
    const { svc, cache } = await boot(newPrefix('join'));
    svc.delayMs = 300;
    const early = svc.find({ isbn: 'j', authorId: 3 });
    await sleep(50);
    await cache.invalidateTags(['author:3']);
    svc.titles.set('j', 'after');
    const late = svc.find({ isbn: 'j', authorId: 3 });
    expect((await early).title).toBe('first');
    expect((await late).title).toBe('after');
  });

  it('wrap() with literal tags, invalidated from another app instance on the same store', async () => {
    if (store === 'memory') {
      // The memory store is one process' own: two instances do not share it. Same-instance check.
      const { cache } = await boot(newPrefix('wrap-one'));
      let runs = 0;
      const load = () => cache.wrap('w', async () => ++runs, { tags: ['w-tag'] });
      await load();
      await load();
      await cache.invalidateTags(['w-tag']);
      expect(await load()).toBe(2);
      return;
    }
    const prefix = newPrefix('wrap-two');
    const a = await boot(prefix);
    const b = await boot(prefix);
    let runs = 0;
    const load = (cache: RedisCacheService) => cache.wrap('w', async () => ++runs, { tags: ['w-tag'] });
    expect(await load(a.cache)).toBe(1);
    expect(await load(b.cache)).toBe(1);
    await a.cache.invalidateTags(['w-tag']);
    expect(await load(b.cache)).toBe(2);
    expect(await load(a.cache)).toBe(2);
    // get() of a tagged entry checks its tags too.
    await b.cache.invalidateTags(['w-tag']);
    expect(await a.cache.get('w')).toBeUndefined();
  });

  if (store === 'redis') {
    it('costs: a tagged hit is one GET + one MGET; invalidation is one UNLINK for 1 or 1,000 entries', async () => {
      const prefix = newPrefix('cost');
      const { svc, cache } = await boot(prefix);
      for (let i = 0; i < 1_000; i++) await svc.find({ isbn: `n${i}`, authorId: 1 });
      await svc.find({ isbn: 'single', authorId: 2 });

      let before = await commandCounts();
      for (let i = 0; i < 100; i++) await svc.find({ isbn: `n${i}`, authorId: 1 });
      expect(delta(before, await commandCounts())).toEqual({ get: 100, mget: 100 });
      expect(svc.runs).toBe(1_001);

      before = await commandCounts();
      await cache.invalidateTags(['author:2']);
      expect(delta(before, await commandCounts())).toEqual({ unlink: 1 });
      before = await commandCounts();
      await cache.invalidateTags(['author:1']);
      expect(delta(before, await commandCounts())).toEqual({ unlink: 1 });
      await svc.find({ isbn: 'n5', authorId: 1 });
      expect(svc.runs).toBe(1_002);
    });

    it('bookkeeping is bounded by the live entries: every tag key has a TTL no shorter than its entries and none outlives them', async () => {
      const prefix = newPrefix('bound');
      const { svc } = await boot(prefix);
      for (let i = 0; i < 20; i++) await svc.find({ isbn: `b${i}`, authorId: i });
      const keys = await storedKeys(redis, prefix);
      const tagKeys = keys.filter((key) => key.includes('__tags__'));
      // 'books' + one author tag per entry.
      expect(tagKeys).toHaveLength(21);
      const entryTtl = Number(await cli(redis, 'PTTL', `${prefix}:default:book:b0`));
      const readAt = Date.now();
      for (const key of tagKeys) {
        const ttl = Number(await cli(redis, 'PTTL', key));
        expect(ttl).toBeGreaterThan(0);
        expect(ttl).toBeLessThanOrEqual(60_000);
        // Both TTLs run down while the keys are read one by one (a redis-cli each, slow on a loaded box).
        expect(ttl).toBeGreaterThanOrEqual(entryTtl - (Date.now() - readAt) - 50);
      }
    });

    it('an entry planted with forged tag versions, or an untagged copy, is never served as valid', async () => {
      const prefix = newPrefix('planted');
      const { svc } = await boot(prefix);
      await svc.find({ isbn: 'p', authorId: 4 });
      const key = `${prefix}:default:book:p`;
      const stored = await cli(redis, 'GET', key);
      // Same entry, tag versions replaced by guesses.
      const forged = stored.replace(/"[A-Za-z0-9_-]{16}"/g, '"AAAAAAAAAAAAAAAA"');
      expect(forged).not.toBe(stored);
      await cli(redis, 'SET', key, forged, 'PX', '60000');
      svc.titles.set('p', 'real');
      expect((await svc.find({ isbn: 'p', authorId: 4 })).title).toBe('real');
      expect(svc.runs).toBe(2);
    });
  }
});

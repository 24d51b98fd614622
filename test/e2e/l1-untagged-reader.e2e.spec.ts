/**
 * A tagged entry read by a call that names no tags (another @ReadThrough of the same key without
 * `tags`, or `wrap(key, fn)`): on Redis the reader checks the entry's recorded tag versions, so
 * `invalidateTags()` reaches it. The L1 must hold such an entry under the entry's own tags too,
 * or the tag's invalidation would leave it served from the process (it did, before the fix).
 */
import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import { ReadThrough, RedisCacheService } from '../../lib/index.js';
import { cacheTestingModule, trackTestingModules } from '../helpers/nest-testing.helper.js';
import { eventually } from '../helpers/polling.helper.js';
import { uniquePrefix, useTestRedis } from '../helpers/test-redis.js';

const redis = useTestRedis();

const db = new Map<string, string>();

@Injectable()
class Books {
  @ReadThrough('book:{0}', '1m', { tags: ['author:{1}'] })
  async find(isbn: string, _authorId: string): Promise<{ isbn: string; title: string }> {
    return { isbn, title: db.get(isbn) ?? 'none' };
  }

  /** Same entry, read where the author is not at hand (no tags). */
  @ReadThrough('book:{0}', '1m')
  async byIsbn(isbn: string): Promise<{ isbn: string; title: string }> {
    return { isbn, title: db.get(isbn) ?? 'none' };
  }
}

describe('L1: an untagged reader of a tagged entry', () => {
  const modules = trackTestingModules();

  async function boot(l1: boolean): Promise<{ ref: TestingModule; books: Books; cache: RedisCacheService }> {
    const ref = await modules.boot(
      cacheTestingModule({ url: redis.url(), prefix: uniquePrefix('l1-untagged'), operationTimeout: '5s', l1 }, [
        Books,
      ]),
    );
    const cache = ref.get(RedisCacheService);
    if (l1) expect(await eventually(2_000, () => cache.stats().l1Live === true)).toBe(true);
    return { ref, books: ref.get(Books), cache };
  }

  it.each([false, true])('invalidateTags reaches an untagged @ReadThrough reader (l1: %s)', async (l1) => {
    const { books, cache } = await boot(l1);
    db.set('978', 'Dune');
    expect((await books.find('978', '7')).title).toBe('Dune'); // stored, tagged author:7
    // The untagged reader hits the tagged entry (valid: its tag still holds); read until held in L1.
    const held = async (): Promise<boolean> => {
      const before = cache.stats().l1Hits ?? 0;
      expect((await books.byIsbn('978')).title).toBe('Dune');
      return (cache.stats().l1Hits ?? 0) > before;
    };
    if (l1) expect(await eventually(2_000, held, 5)).toBe(true);
    else await books.byIsbn('978');

    db.set('978', 'Dune Messiah');
    await cache.invalidateTags(['author:7']);
    // Guarantee: no entry tagged author:7 stored before the call is returned, by any reader.
    expect((await books.byIsbn('978')).title).toBe('Dune Messiah');
    for (let i = 0; i < 5; i++) expect((await books.byIsbn('978')).title).toBe('Dune Messiah');
  });

  it('invalidateTags reaches an untagged wrap() reader (l1)', async () => {
    const { books, cache } = await boot(true);
    db.set('979', 'Emma');
    await books.find('979', '8');
    const key = cache.keyOf(Books, 'byIsbn', '979').split(':').slice(2).join(':');
    const read = () => cache.wrap(key, () => ({ isbn: '979', title: db.get('979') ?? 'none' }));
    const held = async (): Promise<boolean> => {
      const before = cache.stats().l1Hits ?? 0;
      await read();
      return (cache.stats().l1Hits ?? 0) > before;
    };
    expect(await eventually(2_000, held, 5)).toBe(true);
    db.set('979', 'Persuasion');
    await cache.invalidateTags(['author:8']);
    await new Promise((r) => setTimeout(r, 100)); // even after the push had all the time it needs
    expect((await read()).title).toBe('Persuasion');
  });
});

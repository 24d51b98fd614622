/**
 * `@CacheEvict` and a placeholder that reads nothing, on BOTH stores. A `@ReadThrough` with
 * `missingKeyValue: 'empty'` stores every call without the value under one shared key (`%u`);
 * the eviction that names it must reach that entry, or readers keep the old value until the TTL.
 * With the default (`'bypass'`) no such entry exists, so the eviction skips the key with a warning.
 */
import 'reflect-metadata';
import { jest } from '@jest/globals';
import { Injectable, Logger } from '@nestjs/common';
import { CacheEvict, InvalidRedisCacheOptionsError, ReadThrough } from '../../lib/index.js';
import { trackTestingModules } from '../helpers/nest-testing.helper.js';
import { flushPrefix, uniquePrefix, useTestRedis } from '../helpers/test-redis.js';
import { booksModule, type StoreKind } from './fixtures/books-cache.fixture.js';

const redis = useTestRedis();

interface Filter {
  shelf?: string;
}

@Injectable()
class ShelfService {
  /** What the "database" holds per shelf (`''` for books on no shelf). */
  readonly titles = new Map<string, string>();
  runs = 0;

  @ReadThrough('shelf:{0.shelf}', '1m', { missingKeyValue: 'empty' })
  async list(filter: Filter): Promise<{ titles: string; run: number }> {
    this.runs++;
    return { titles: this.titles.get(filter.shelf ?? '') ?? 'none', run: this.runs };
  }

  @CacheEvict({ keys: 'shelf:{0.shelf}', missingKeyValue: 'empty' })
  async rename(filter: Filter, titles: string): Promise<void> {
    this.titles.set(filter.shelf ?? '', titles);
  }

  /** The same eviction without the option: it cannot name the shared entry. */
  @CacheEvict('shelf:{0.shelf}')
  async renameDefault(filter: Filter, titles: string): Promise<void> {
    this.titles.set(filter.shelf ?? '', titles);
  }

  @CacheEvict({ tags: ['author:{0.author}'], missingKeyValue: 'empty' })
  async touchAuthor(_filter: { author?: string }): Promise<void> {}

  @ReadThrough('by-author:{0.author}', '1m', { tags: ['author:{0.author}'], missingKeyValue: 'empty' })
  async byAuthor(_filter: { author?: string }): Promise<number> {
    this.runs++;
    return this.runs;
  }
}

@Injectable()
class MisspelledMode {
  @CacheEvict({ keys: 'shelf:{0}', missingKeyValue: 'emtpy' as 'empty' })
  async rename(_shelf: string): Promise<void> {}
}

describe.each<StoreKind>(['redis', 'memory'])('@CacheEvict with missingKeyValue on the %s store', (store) => {
  const modules = trackTestingModules();
  const prefixes: string[] = [];
  afterEach(async () => {
    jest.restoreAllMocks();
    if (store === 'redis') for (const prefix of prefixes.splice(0)) await flushPrefix(redis.url(), prefix);
  });

  async function boot(label: string): Promise<ShelfService> {
    const prefix = uniquePrefix(`${store}-missing-${label}`);
    prefixes.push(prefix);
    const ref = await modules.boot(booksModule(store, redis, { prefix }, [ShelfService]));
    return ref.get(ShelfService);
  }

  it("'empty' evicts the entry every call without the value shares, and leaves other shelves cached", async () => {
    const svc = await boot('empty');
    svc.titles.set('', 'Old');
    svc.titles.set('a', 'A');
    expect(await svc.list({})).toEqual({ titles: 'Old', run: 1 });
    expect(await svc.list({ shelf: undefined })).toEqual({ titles: 'Old', run: 1 });
    expect(await svc.list({ shelf: 'a' })).toEqual({ titles: 'A', run: 2 });

    await svc.rename({}, 'New');
    expect(await svc.list({})).toEqual({ titles: 'New', run: 3 });
    expect(await svc.list({ shelf: 'a' })).toEqual({ titles: 'A', run: 2 });
  });

  it("the default ('bypass') skips the key with a warning naming the placeholder; the shared entry stays", async () => {
    const svc = await boot('bypass');
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    svc.titles.set('', 'Old');
    expect(await svc.list({})).toEqual({ titles: 'Old', run: 1 });
    await svc.renameDefault({}, 'New');
    expect(warn.mock.calls.map(([message]) => String(message)).join('\n')).toMatch(
      /ShelfService\.renameDefault: could not build a key to evict.*\{0\.shelf\}/,
    );
    // What this option exists for: without it the readers keep the old value.
    expect(await svc.list({})).toEqual({ titles: 'Old', run: 1 });
  });

  it("'empty' on a tag template invalidates the entries tagged without the value", async () => {
    const svc = await boot('tags');
    expect(await svc.byAuthor({})).toBe(1);
    expect(await svc.byAuthor({})).toBe(1);
    expect(await svc.byAuthor({ author: 'x' })).toBe(2);
    await svc.touchAuthor({});
    expect(await svc.byAuthor({})).toBe(3);
    expect(await svc.byAuthor({ author: 'x' })).toBe(2);
  });

  it('a misspelled mode fails bootstrap naming the method and the field', async () => {
    const prefix = uniquePrefix(`${store}-missing-typo`);
    const failure = modules.boot(booksModule(store, redis, { prefix }, [MisspelledMode])).then(
      () => undefined,
      (error: unknown) => error,
    );
    const error = await failure;
    expect(error).toBeInstanceOf(InvalidRedisCacheOptionsError);
    expect(String((error as Error).message)).toMatch(/MisspelledMode\.rename: missingKeyValue/);
    expect(String((error as Error).message)).toMatch(/'bypass' or 'empty'/);
  });
});

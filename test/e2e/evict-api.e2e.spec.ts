/**
 * `RedisCacheService.evict()`, `keyOf()`, `refresh()` and `invalidateTags()` (issue 12) on BOTH
 * stores, and what eviction does when Redis stops answering (a private, paused server).
 */
import 'reflect-metadata';
import type { TestingModule } from '@nestjs/testing';
import {
  ReadThroughBindingError,
  RedisCacheConnectionError,
  RedisCacheService,
  type RedisCacheModuleOptions,
} from '../../lib/index.js';
import { CacheStore } from '../../lib/store/cache.store.js';
import { trackTestingModules } from '../helpers/nest-testing.helper.js';
import { storedKeys } from '../helpers/redis-cli.helper.js';
import { startRedisServer, type RedisServerHandle } from '../helpers/redis-server.js';
import { flushPrefix, uniquePrefix, useTestRedis } from '../helpers/test-redis.js';
import {
  BooksService,
  booksModule,
  PlainService,
  ScopedBooksService,
  type Book,
  type StoreKind,
} from './fixtures/books-cache.fixture.js';

const redis = useTestRedis();
const book = (isbn: string, title = 'Title'): Book => ({ isbn, title, authorId: '7' });

describe.each<StoreKind>(['redis', 'memory'])('the eviction API of RedisCacheService on the %s store', (store) => {
  const modules = trackTestingModules();
  const prefixes: string[] = [];
  afterEach(async () => {
    if (store === 'redis') for (const prefix of prefixes.splice(0)) await flushPrefix(redis.url(), prefix);
  });

  async function boot(label: string, options: RedisCacheModuleOptions = {}) {
    const prefix = uniquePrefix(`${store}-${label}`);
    prefixes.push(prefix);
    const ref: TestingModule = await modules.boot(
      booksModule(store, redis, { prefix, ...options }, [BooksService, ScopedBooksService, PlainService]),
    );
    return {
      ref,
      prefix,
      svc: ref.get(BooksService),
      cache: ref.get(RedisCacheService),
      cacheStore: ref.get(CacheStore),
    };
  }

  it('keyOf() is the key the entry is stored under (escaping included)', async () => {
    const { svc, cache, prefix, cacheStore } = await boot('keyof');
    const isbn = 'a:b%c';
    await svc.find(isbn);
    const key = cache.keyOf(BooksService, 'find', isbn);
    expect(key).toBe(`${prefix}:default:book:a%3Ab%25c`);
    expect(await cacheStore.has(key)).toBe(true);
    if (store === 'redis') expect(await storedKeys(redis, prefix)).toEqual([key]);
  });

  it("evict(Type, 'method', ...args) removes that call's entry only; the next call is a miss", async () => {
    const { svc, cache } = await boot('evict');
    await svc.profile('alice');
    await svc.profile('bob');
    expect(await cache.evict(BooksService, 'profile', 'alice')).toBe(true);
    expect(await cache.evict(BooksService, 'profile', 'alice')).toBe(false);
    expect(await svc.profile('alice')).toEqual({ value: 'profile of alice', run: 2 });
    expect(await svc.profile('bob')).toEqual({ value: 'profile of bob', run: 1 });
  });

  it('refresh() runs the method even when a fresh entry exists, stores and returns its result', async () => {
    const { svc, cache } = await boot('refresh');
    svc.books.set('1', book('1', 'Old'));
    expect((await svc.find('1')).value).toEqual(book('1', 'Old'));
    svc.books.set('1', book('1', 'New'));
    expect((await svc.find('1')).value).toEqual(book('1', 'Old'));
    expect(await cache.refresh(BooksService, 'find', '1')).toEqual({ value: book('1', 'New'), run: 2 });
    expect(await svc.find('1')).toEqual({ value: book('1', 'New'), run: 2 });
    expect(svc.runsOf('find')).toBe(2);
  });

  it('wrap() with forceFresh runs the factory although the entry is fresh', async () => {
    const { cache } = await boot('force');
    expect(await cache.wrap('w', () => 'first')).toBe('first');
    expect(await cache.wrap('w', () => 'second')).toBe('first');
    expect(await cache.wrap('w', () => 'third', { forceFresh: true })).toBe('third');
    expect(await cache.wrap('w', () => 'fourth')).toBe('third');
  });

  it("invalidateTags(['author:7']) makes the tagged entries miss and leaves the others hit", async () => {
    const { svc, cache } = await boot('tags');
    await svc.byAuthor({ authorId: '7', page: 1 });
    await svc.byAuthor({ authorId: '8', page: 1 });
    await svc.find('1');
    await cache.invalidateTags(['author:7']);
    await svc.byAuthor({ authorId: '7', page: 1 });
    await svc.byAuthor({ authorId: '8', page: 1 });
    await svc.find('1');
    expect(svc.runsOf('byAuthor:7')).toBe(2);
    expect(svc.runsOf('byAuthor:8')).toBe(1);
    expect(svc.runsOf('find')).toBe(1);
    // A tag every entry of byAuthor carries.
    await cache.invalidateTags(['books']);
    await svc.byAuthor({ authorId: '8', page: 1 });
    expect(svc.runsOf('byAuthor:8')).toBe(2);
  });

  it('a method with no @ReadThrough binding, or of a request-scoped provider, is a ReadThroughBindingError', async () => {
    const { cache } = await boot('unbound');
    const problemOf = (run: () => unknown): unknown => {
      try {
        run();
      } catch (error) {
        return error instanceof ReadThroughBindingError ? error.problem : error;
      }
      return 'no error';
    };
    expect(problemOf(() => cache.keyOf(PlainService, 'find', '1'))).toBe('not-bound');
    expect(problemOf(() => cache.keyOf(BooksService, 'update', book('1')))).toBe('not-bound');
    expect(problemOf(() => cache.keyOf(ScopedBooksService, 'find', '1'))).toBe('request-scoped');
    await expect(cache.evict(PlainService, 'find', '1')).rejects.toBeInstanceOf(ReadThroughBindingError);
    await expect(cache.refresh(ScopedBooksService, 'find', '1')).rejects.toThrow(/request-scoped/);
  });

  it('a key that cannot be built from the arguments is a ReadThroughBindingError (problem "key")', async () => {
    const { cache } = await boot('nokey');
    const query = { authorId: undefined, page: 1 } as unknown as { authorId: string; page: number };
    expect(() => cache.keyOf(BooksService, 'byAuthor', query)).toThrow(ReadThroughBindingError);
    expect(() => cache.keyOf(BooksService, 'byAuthor', query)).toThrow(/placeholder "\{0.authorId\}" read nothing/);
  });
});

describe('eviction while Redis does not answer (private server, paused)', () => {
  const modules = trackTestingModules();
  let server: RedisServerHandle;
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    await server.stop();
  });
  afterEach(() => server.resume());

  async function pausedAfterWarmUp(failOpen: boolean) {
    const ref = await modules.boot(
      booksModule(
        'redis',
        { url: () => server.url, server: () => server },
        {
          prefix: uniquePrefix('paused'),
          operationTimeout: '200ms',
          failOpen,
        },
      ),
    );
    const svc = ref.get(BooksService);
    await svc.find('1');
    await server.pause();
    return { svc, cache: ref.get(RedisCacheService) };
  }

  it('fail open: the @CacheEvict method still resolves its result, evict() resolves false', async () => {
    const { svc, cache } = await pausedAfterWarmUp(true);
    await expect(svc.update(book('1', 'New'))).resolves.toEqual(book('1', 'New'));
    expect(svc.runsOf('update')).toBe(1);
    await expect(cache.evict(BooksService, 'find', '1')).resolves.toBe(false);
    await expect(cache.invalidateTags(['author:7'])).resolves.toBeUndefined();
  });

  it('failOpen: false: the @CacheEvict method and evict() reject with RedisCacheConnectionError', async () => {
    const { svc, cache } = await pausedAfterWarmUp(false);
    await expect(svc.update(book('1', 'New'))).rejects.toBeInstanceOf(RedisCacheConnectionError);
    // The method ran: eviction follows success, and failed after it.
    expect(svc.runsOf('update')).toBe(1);
    await expect(cache.evict(BooksService, 'find', '1')).rejects.toBeInstanceOf(RedisCacheConnectionError);
    await expect(cache.invalidateTags(['author:7'])).rejects.toBeInstanceOf(RedisCacheConnectionError);
  });
});

/**
 * `@CacheEvict` and `@CachePut` on provider methods (issue 12), on BOTH stores: keys derived
 * exactly like `@ReadThrough` keys (escaping included), eviction only after success (or first
 * with `beforeInvocation`), several keys, key functions, `all`, tags, put-then-read, and the
 * bootstrap checks. A hit is told from a miss by the method's run counter.
 */
import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import { CacheEvict, CachePut, InvalidRedisCacheOptionsError, ReadThrough } from '../../lib/index.js';
import { CacheStore } from '../../lib/store/cache.store.js';
import { trackTestingModules } from '../helpers/nest-testing.helper.js';
import { storedKeys } from '../helpers/redis-cli.helper.js';
import { flushPrefix, uniquePrefix, useTestRedis } from '../helpers/test-redis.js';
import { BooksService, booksModule, type Book, type StoreKind } from './fixtures/books-cache.fixture.js';

const redis = useTestRedis();

@Injectable()
class PlaceholderOutOfRange {
  @CacheEvict('book:{2}')
  async update(_book: Book): Promise<void> {}
}

@Injectable()
class ReadAndPut {
  @CachePut('book:{0}')
  @ReadThrough('book:{0}')
  async find(isbn: string): Promise<string> {
    return isbn;
  }
}

@Injectable()
class ReadAndEvict {
  @ReadThrough('book:{0}')
  @CacheEvict('book:{0}')
  async find(isbn: string): Promise<string> {
    return isbn;
  }
}

@Injectable()
class EvictsNothing {
  @CacheEvict({ beforeInvocation: true })
  async update(_book: Book): Promise<void> {}
}

@Injectable()
class TagOutOfRange {
  @ReadThrough('t:{0}', '1m', { tags: ['author:{1}'] })
  async find(isbn: string): Promise<string> {
    return isbn;
  }
}

const book = (isbn: string, title = 'Title', authorId = '7'): Book => ({ isbn, title, authorId });

describe.each<StoreKind>(['redis', 'memory'])('@CacheEvict / @CachePut on the %s store', (store) => {
  const modules = trackTestingModules();
  const prefixes: string[] = [];
  afterEach(async () => {
    if (store === 'redis') for (const prefix of prefixes.splice(0)) await flushPrefix(redis.url(), prefix);
  });

  async function boot(
    label: string,
  ): Promise<{ svc: BooksService; prefix: string; has: (key: string) => Promise<boolean> }> {
    const prefix = uniquePrefix(`${store}-${label}`);
    prefixes.push(prefix);
    const ref = await modules.boot(booksModule(store, redis, { prefix }));
    const cacheStore = ref.get(CacheStore);
    return { svc: ref.get(BooksService), prefix, has: (key) => cacheStore.has(key) };
  }

  it("@ReadThrough('book:{0}') and @CacheEvict('book:{0.isbn}') meet on one key, ':' and '%' in the isbn included", async () => {
    const { svc, prefix, has } = await boot('meet');
    const isbn = 'urn:isbn:97%80';
    const storedKey = `${prefix}:default:book:urn%3Aisbn%3A97%2580`;
    await svc.update(book(isbn, 'Old'));
    expect(await svc.find(isbn)).toEqual({ value: book(isbn, 'Old'), run: 1 });
    expect(await svc.find(isbn)).toEqual({ value: book(isbn, 'Old'), run: 1 });
    expect(await has(storedKey)).toBe(true);
    if (store === 'redis') expect(await storedKeys(redis, prefix)).toEqual([storedKey]);

    await svc.update(book(isbn, 'New'));
    expect(await has(storedKey)).toBe(false);
    if (store === 'redis') expect(await storedKeys(redis, prefix)).toEqual([]);
    // A miss: the method ran again and returns the updated book.
    expect(await svc.find(isbn)).toEqual({ value: book(isbn, 'New'), run: 2 });
  });

  it("evicting alice's entry leaves bob's", async () => {
    const { svc } = await boot('alice');
    await svc.profile('alice');
    await svc.profile('bob');
    await svc.signOut('alice');
    expect(await svc.profile('alice')).toEqual({ value: 'profile of alice', run: 2 });
    expect(await svc.profile('bob')).toEqual({ value: 'profile of bob', run: 1 });
  });

  it('a method that throws evicts nothing, and its error reaches the caller unchanged', async () => {
    const { svc } = await boot('throws');
    await svc.update(book('1'));
    await svc.find('1');
    await expect(svc.failingUpdate(book('1'))).rejects.toThrow('update refused');
    expect(svc.runsOf('failingUpdate')).toBe(1);
    expect(await svc.find('1')).toEqual({ value: book('1'), run: 1 });
  });

  it('beforeInvocation: true evicts first, so also when the method then throws', async () => {
    const { svc } = await boot('before');
    await svc.update(book('1'));
    await svc.find('1');
    await expect(svc.failingUpdateEvictingFirst(book('1'))).rejects.toThrow('update refused');
    expect(await svc.find('1')).toEqual({ value: book('1'), run: 2 });
  });

  it('several keys, one per template, and a key function evict what they name and nothing else', async () => {
    const { svc } = await boot('several');
    await svc.find('1');
    await svc.find('2');
    await svc.profile('alice');
    await svc.profile('bob');
    await svc.evictBoth('1', 'alice');
    expect((await svc.find('1')).run).toBe(3);
    expect((await svc.profile('alice')).run).toBe(2);
    expect((await svc.find('2')).run).toBe(2);
    expect((await svc.profile('bob')).run).toBe(1);
    await svc.evictByFunction('2');
    expect((await svc.find('2')).run).toBe(4);
  });

  it('all: true deletes the namespace, and only it', async () => {
    const { svc } = await boot('all');
    await svc.list('a');
    await svc.list('b');
    await svc.find('1');
    await svc.resetLists();
    expect((await svc.list('a')).run).toBe(2);
    expect((await svc.list('b')).run).toBe(2);
    expect((await svc.find('1')).run).toBe(1);
  });

  it("tags: @CacheEvict({ tags: ['author:{0}'] }) makes that author's tagged entries miss and leaves the others hit", async () => {
    const { svc } = await boot('tags');
    await svc.byAuthor({ authorId: '7', page: 1 });
    await svc.byAuthor({ authorId: '7', page: 2 });
    await svc.byAuthor({ authorId: '8', page: 1 });
    expect(svc.runsOf('byAuthor:7')).toBe(2);
    await svc.authorRenamed('7');
    await svc.byAuthor({ authorId: '7', page: 1 });
    await svc.byAuthor({ authorId: '7', page: 2 });
    await svc.byAuthor({ authorId: '8', page: 1 });
    expect(svc.runsOf('byAuthor:7')).toBe(4);
    expect(svc.runsOf('byAuthor:8')).toBe(1);
  });

  it('@CachePut always runs, and find() is then a hit with exactly the put value', async () => {
    const { svc } = await boot('put');
    const put = await svc.put(book('1', 'Put'));
    expect(await svc.put(book('1', 'Put again'))).toEqual({ value: book('1', 'Put again'), run: 2 });
    expect(svc.runsOf('put')).toBe(2);
    expect(put).toEqual({ value: book('1', 'Put'), run: 1 });
    // The entry is the last put's result, and find() did not run.
    expect(await svc.find('1')).toEqual({ value: book('1', 'Put again'), run: 2 });
    expect(svc.runsOf('find')).toBe(0);
  });

  it('@CachePut replaces an entry find() stored before', async () => {
    const { svc } = await boot('replace');
    await svc.update(book('1', 'Old'));
    expect((await svc.find('1')).value).toEqual(book('1', 'Old'));
    await svc.put(book('1', 'New'));
    expect(await svc.find('1')).toEqual({ value: book('1', 'New'), run: 1 });
    expect(svc.runsOf('find')).toBe(1);
  });

  it("@CachePut and @CacheEvict on one method: the entry is replaced and the tag's entries are dropped", async () => {
    const { svc } = await boot('put-evict');
    await svc.byAuthor({ authorId: '7', page: 1 });
    await svc.putAndEvict(book('1', 'Both', '7'));
    expect(await svc.find('1')).toEqual({ value: book('1', 'Both', '7'), run: 1 });
    expect(svc.runsOf('find')).toBe(0);
    await svc.byAuthor({ authorId: '7', page: 1 });
    expect(svc.runsOf('byAuthor:7')).toBe(2);
  });

  it('an instance created outside Nest runs the plain methods', async () => {
    const plain = new BooksService();
    await plain.update(book('1'));
    expect(await plain.find('1')).toEqual({ value: book('1'), run: 1 });
    expect(await plain.find('1')).toEqual({ value: book('1'), run: 2 });
    expect((await plain.put(book('1'))).run).toBe(1);
  });

  it.each([
    ['{2} on a one-parameter method', PlaceholderOutOfRange, /PlaceholderOutOfRange\.update: keys.*reads argument 2/],
    ['@ReadThrough + @CachePut on one method', ReadAndPut, /ReadAndPut\.find.*@ReadThrough and @CachePut/],
    ['@ReadThrough + @CacheEvict on one method', ReadAndEvict, /ReadAndEvict\.find.*@ReadThrough and @CacheEvict/],
    ['@CacheEvict naming nothing', EvictsNothing, /EvictsNothing\.update.*names nothing to evict/],
    ['a @ReadThrough tag reading an undeclared argument', TagOutOfRange, /TagOutOfRange\.find: tags.*reads argument 1/],
  ])('fails bootstrap: %s', async (_label, provider, message) => {
    const prefix = uniquePrefix(`${store}-boot`);
    const failed = modules.boot(booksModule(store, redis, { prefix }, [provider]));
    await expect(failed).rejects.toBeInstanceOf(InvalidRedisCacheOptionsError);
    await expect(failed).rejects.toThrow(message);
  });
});

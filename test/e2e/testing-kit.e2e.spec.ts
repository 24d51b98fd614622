/**
 * nestjs-readthrough/testing as users use it; the README's "Testing your code" shows this code.
 * A unit test of a cached service (the clock moves instead of sleeping: expiry, grace, refresh;
 * the probe asserts hits, misses, entries and tags), an e2e test of a cached route (Express,
 * supertest, X-Cache and Age on the test clock), and that the probe's assertions can fail.
 * Memory store only: the kit never talks to Redis.
 */
import 'reflect-metadata';
import { AssertionError } from 'node:assert';
import { Controller, Get, Injectable, Module, Param, UseInterceptors, type INestApplication } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import request from 'supertest';
import { ReadThrough, ReadThroughInterceptor, RedisCacheModule, RedisCacheService } from '../../lib/index.js';
import { CacheProbe, RedisCacheTestingModule, TestClock } from '../../lib/testing/index.js';

@Injectable()
class BooksRepository {
  loads = 0;
  async byIsbn(isbn: string): Promise<{ isbn: string; load: number }> {
    this.loads++;
    return { isbn, load: this.loads };
  }
}

@Injectable()
class BooksService {
  constructor(private readonly repository: BooksRepository) {}

  @ReadThrough('book:{0}', '1m', { staleWhileRevalidate: '5m', tags: ['books'] })
  async find(isbn: string): Promise<{ isbn: string; load: number }> {
    return this.repository.byIsbn(isbn);
  }
}

describe('a unit test of a cached service', () => {
  let moduleRef: TestingModule;
  let books: BooksService;
  let repository: BooksRepository;
  let clock: TestClock;
  let probe: CacheProbe;

  beforeEach(async () => {
    moduleRef = await Test.createTestingModule({
      imports: [RedisCacheTestingModule.forRoot()],
      providers: [BooksService, BooksRepository],
    }).compile();
    await moduleRef.init();
    books = moduleRef.get(BooksService);
    repository = moduleRef.get(BooksRepository);
    clock = moduleRef.get(TestClock);
    probe = moduleRef.get(CacheProbe);
  });

  afterEach(() => moduleRef.close());

  it('caches find() for a minute', async () => {
    await probe.expectMiss(() => books.find('978-0'));
    const book = await probe.expectHit(() => books.find('978-0'));
    expect(book).toEqual({ isbn: '978-0', load: 1 });
    expect(repository.loads).toBe(1);
    expect(await probe.has(BooksService, 'find', '978-0')).toBe(true);
    expect(await probe.has(BooksService, 'find', '978-1')).toBe(false);
    // Kept for the TTL plus the grace.
    expect(await probe.ttl(BooksService, 'find', '978-0')).toBe(6 * 60_000);
  });

  it('serves the stale value within the grace while it refreshes, then the fresh one', async () => {
    await books.find('978-0');
    clock.advance('61s');
    expect(await probe.expectStale(() => books.find('978-0'))).toEqual({ isbn: '978-0', load: 1 });
    await probe.settle(); // the background refresh has stored its value
    expect(await probe.expectHit(() => books.find('978-0'))).toEqual({ isbn: '978-0', load: 2 });
  });

  it('loads again once the TTL and the grace are over', async () => {
    await books.find('978-0');
    clock.advance('6m');
    expect(await probe.has(BooksService, 'find', '978-0')).toBe(true);
    clock.advance(1);
    expect(await probe.has(BooksService, 'find', '978-0')).toBe(false);
    expect(await probe.expectMiss(() => books.find('978-0'))).toEqual({ isbn: '978-0', load: 2 });
  });

  it('drops every entry tagged "books" on invalidateTags', async () => {
    await books.find('978-0');
    expect(await probe.tagExists('books')).toBe(true);
    await moduleRef.get(RedisCacheService).invalidateTags(['books']);
    expect(await probe.tagExists('books')).toBe(false);
    await probe.expectMiss(() => books.find('978-0'));
  });
});

@Controller('books')
@UseInterceptors(ReadThroughInterceptor)
class BooksController {
  constructor(private readonly repository: BooksRepository) {}

  @Get(':isbn')
  @ReadThrough('book:{params.isbn}', '1m')
  find(@Param('isbn') isbn: string) {
    return this.repository.byIsbn(isbn);
  }
}

@Module({
  imports: [RedisCacheTestingModule.forRoot({ isGlobal: true })],
  controllers: [BooksController],
  providers: [BooksRepository],
})
class AppTestModule {}

describe('an e2e test of a cached route', () => {
  let app: INestApplication;
  let clock: TestClock;

  beforeEach(async () => {
    const moduleRef = await Test.createTestingModule({ imports: [AppTestModule] }).compile();
    app = moduleRef.createNestApplication();
    await app.init();
    clock = app.get(TestClock);
  });

  afterEach(() => app.close());

  it('answers MISS, then HIT with its Age, then MISS once the minute is over', async () => {
    const first = await request(app.getHttpServer()).get('/books/978-0').expect(200);
    expect(first.headers['x-cache']).toBe('MISS');
    clock.advance('30s');
    const second = await request(app.getHttpServer()).get('/books/978-0').expect(200);
    expect(second.headers['x-cache']).toBe('HIT');
    expect(second.headers.age).toBe('30');
    expect(second.body).toEqual(first.body);
    clock.advance('31s');
    const third = await request(app.getHttpServer()).get('/books/978-0').expect(200);
    expect(third.headers['x-cache']).toBe('MISS');
    expect(third.body).toEqual({ isbn: '978-0', load: 2 });
  });

  it('counts route hits for the probe too', async () => {
    const probe = app.get(CacheProbe);
    await probe.expectMiss(() => request(app.getHttpServer()).get('/books/1'));
    await probe.expectHit(() => request(app.getHttpServer()).get('/books/1'));
  });
});

describe('the testing kit itself', () => {
  async function boot(): Promise<TestingModule> {
    const ref = await Test.createTestingModule({
      imports: [RedisCacheTestingModule.forRoot({ prefix: 'kit', startAt: Date.UTC(2030, 0, 1) })],
      providers: [BooksService, BooksRepository],
    }).compile();
    return ref.init();
  }

  it('fails expectHit on a miss, expectMiss on a hit, expectStale on a fresh hit, naming what happened', async () => {
    const ref = await boot();
    try {
      const probe = ref.get(CacheProbe);
      const books = ref.get(BooksService);
      const missed = probe.expectHit(() => books.find('a'));
      await expect(missed).rejects.toThrow(AssertionError);
      await expect(missed).rejects.toThrow(
        'expected a fresh cache hit, but the call counted 0 hit(s) (0 stale), 1 miss(es) and ran 1 load(s)',
      );
      await expect(probe.expectMiss(() => books.find('a'))).rejects.toThrow(
        'expected a cache miss, but the call counted 1 hit(s)',
      );
      await expect(probe.expectStale(() => books.find('a'))).rejects.toThrow('expected a stale cache hit');
      // A call that touches no cache at all is neither.
      await expect(probe.expectHit(() => 'uncached')).rejects.toThrow(AssertionError);
      await expect(probe.expectMiss(() => 'uncached')).rejects.toThrow(AssertionError);
      // The call's own error wins over the assertion.
      await expect(probe.expectHit(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    } finally {
      await ref.close();
    }
  });

  it('gives every application its own clock and store, starting at startAt', async () => {
    const [one, two] = [await boot(), await boot()];
    try {
      expect(one.get(TestClock)).not.toBe(two.get(TestClock));
      expect(one.get(TestClock).now()).toBe(Date.UTC(2030, 0, 1));
      await one.get(BooksService).find('a');
      expect(await one.get(CacheProbe).has(BooksService, 'find', 'a')).toBe(true);
      expect(await two.get(CacheProbe).has(BooksService, 'find', 'a')).toBe(false);
      one.get(TestClock).advance('1h');
      expect(two.get(TestClock).now()).toBe(Date.UTC(2030, 0, 1));
      // Stored on that clock: created at the test time, not the real one.
      expect(await one.get(CacheProbe).has(BooksService, 'find', 'a')).toBe(false);
    } finally {
      await one.close();
      await two.close();
    }
  });

  it('reads the counters as stats() does, and track() counts from its start', async () => {
    const ref = await boot();
    try {
      const probe = ref.get(CacheProbe);
      const cache = ref.get(RedisCacheService);
      await cache.set('k', 1);
      expect(await probe.hasKey('k')).toBe(true);
      expect(await probe.hasKey('k', 'other')).toBe(false);
      await ref.get(BooksService).find('a');
      const recording = probe.track();
      await ref.get(BooksService).find('a');
      await ref.get(BooksService).find('b');
      expect(recording.counts()).toMatchObject({ hits: 1, misses: 1, loads: 1, staleHits: 0 });
      expect(probe.stats()).toEqual(cache.stats());
      expect(probe.stats()).toMatchObject({ hits: 1, misses: 2, loads: 2 });
    } finally {
      await ref.close();
    }
  });
});

// The application's own cache module, on a Redis nobody runs (port 1): used as is, bootstrap fails.
const cacheImport = RedisCacheModule.forRoot({ url: 'redis://127.0.0.1:1', requireConnectionOnBootstrap: true });
@Module({ imports: [cacheImport], exports: [cacheImport] })
class CacheModule {}

@Module({ imports: [CacheModule], providers: [BooksService, BooksRepository] })
class BooksModule {}

describe('swapping an application cache module for the testing module', () => {
  it('overrideModule(CacheModule).useModule(RedisCacheTestingModule.forRoot()) runs the app on the kit', async () => {
    const moduleRef = await Test.createTestingModule({ imports: [BooksModule] })
      .overrideModule(CacheModule)
      .useModule(RedisCacheTestingModule.forRoot())
      .compile();
    await moduleRef.init();
    try {
      const probe = moduleRef.get(CacheProbe);
      await probe.expectMiss(() => moduleRef.get(BooksService).find('a'));
      await probe.expectHit(() => moduleRef.get(BooksService).find('a'));
    } finally {
      await moduleRef.close();
    }
  });
});

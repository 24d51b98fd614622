/**
 * Issue 14: `RedisCacheService.events$` on a real redis-server (and the memory store): the
 * events of provider methods, routes and the programmatic API, in order, with the key's namespace
 * and the method's or route's label; nothing is built while nobody subscribes; and no event ever
 * carries the cached value, the key, a tag name or a request's credential (checked on the JSON
 * of every event emitted while a sentinel value and a secret header went through the cache).
 */
import 'reflect-metadata';
import { jest } from '@jest/globals';
import { Controller, Get, Injectable, Param, UseInterceptors, type INestApplication } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import supertest from 'supertest';
import {
  ReadThrough,
  ReadThroughInterceptor,
  RedisCacheModule,
  RedisCacheService,
  type RedisCacheEvent,
  type RedisCacheModuleOptions,
} from '../../lib/index.js';
import { CacheEventsHub } from '../../lib/events/cache-events.hub.js';
import { closeAfterEach } from '../helpers/nest-testing.helper.js';
import { uniquePrefix, useTestRedis } from '../helpers/test-redis.js';

const redis = useTestRedis();

/** What the method returns: a value that must never appear in an event. */
const SENTINEL = 'SENTINEL-VALUE-5f1e';
/** A request header value that must never appear in an event. */
const SECRET = 'SECRET-TOKEN-9c2a';
/** A key part built from an argument (a user id, say): must never appear in an event either. */
const USER_ID = 'user-PII-77431';

@Injectable()
class Catalog {
  runs = 0;

  @ReadThrough('book:{0}', '1m', { namespace: 'books', tags: ['author:{0}'] })
  async book(id: string): Promise<{ id: string; secret: string }> {
    this.runs++;
    return { id, secret: SENTINEL };
  }

  @ReadThrough('fail:{0}', '1m')
  async failing(id: string): Promise<string> {
    throw new TypeError(`no ${id} (${SENTINEL})`);
  }
}

@Controller()
class BooksController {
  @Get('books/:id')
  @UseInterceptors(ReadThroughInterceptor)
  @ReadThrough('route-book:{params.id}', '1m')
  async route(@Param('id') id: string): Promise<{ id: string; secret: string }> {
    return { id, secret: SENTINEL };
  }
}

interface Subject {
  readonly app: INestApplication;
  readonly cache: RedisCacheService;
  readonly catalog: Catalog;
  readonly events: RedisCacheEvent[];
  http(): ReturnType<typeof supertest>;
}

const apps = closeAfterEach<INestApplication>();

async function boot(options: Partial<RedisCacheModuleOptions>, subscribe = true): Promise<Subject> {
  const moduleRef = await Test.createTestingModule({
    imports: [RedisCacheModule.forRoot({ url: redis.url(), prefix: uniquePrefix('events'), ...options })],
    controllers: [BooksController],
    providers: [Catalog],
  }).compile();
  const app = apps.add(moduleRef.createNestApplication(new ExpressAdapter(), { logger: false }));
  await app.init();
  const cache = app.get(RedisCacheService);
  const events: RedisCacheEvent[] = [];
  if (subscribe) cache.events$.subscribe((event) => events.push(event));
  return { app, cache, catalog: app.get(Catalog), events, http: () => supertest(app.getHttpServer()) };
}

/** The events without their measured durations, for exact comparisons. */
function shapes(events: RedisCacheEvent[]): unknown[] {
  return events.map((event) => (event.type === 'load' ? { ...event, durationMs: typeof event.durationMs } : event));
}

describe.each(['redis', 'memory'] as const)('events$ (%s store)', (store) => {
  const options = (): Partial<RedisCacheModuleOptions> => (store === 'memory' ? { store: 'memory' } : {});

  it('a provider method: miss, load, store, then hit; namespace and label, no key', async () => {
    const subject = await boot(options());
    await subject.catalog.book(USER_ID);
    await subject.catalog.book(USER_ID);
    const origin = { namespace: 'books', label: 'Catalog.book' };
    expect(shapes(subject.events)).toEqual([
      { type: 'miss', ...origin },
      { type: 'load', ...origin, durationMs: 'number', outcome: 'ok' },
      { type: 'store', ...origin, bytes: expect.any(Number) },
      { type: 'hit', ...origin },
    ]);
    const load = subject.events.find((event) => event.type === 'load');
    expect(load?.type === 'load' && load.durationMs).toBeGreaterThanOrEqual(0);
    expect(subject.catalog.runs).toBe(1);
  });

  it('a method that throws: load with outcome error, nothing stored', async () => {
    const subject = await boot(options());
    await expect(subject.catalog.failing('x')).rejects.toThrow(TypeError);
    expect(shapes(subject.events)).toEqual([
      { type: 'miss', namespace: 'default', label: 'Catalog.failing' },
      { type: 'load', namespace: 'default', label: 'Catalog.failing', durationMs: 'number', outcome: 'error' },
    ]);
  });

  it('the programmatic API: set, get-through-wrap, del, clear and invalidateTags', async () => {
    const subject = await boot(options());
    await subject.cache.set(`k:${USER_ID}`, SENTINEL, { namespace: 'api' });
    await subject.cache.wrap(`k:${USER_ID}`, () => 'never', { namespace: 'api' });
    await subject.cache.del(`k:${USER_ID}`, { namespace: 'api' });
    await subject.cache.invalidateTags([`author:${USER_ID}`, 'other']);
    await subject.cache.clear('api');
    const label = 'RedisCacheService';
    expect(subject.events).toEqual([
      { type: 'store', namespace: 'api', label, bytes: expect.any(Number) },
      { type: 'hit', namespace: 'api', label },
      { type: 'evict', namespace: 'api', label, scope: 'keys', keys: 1 },
      { type: 'invalidate-tags', namespace: '', label, tags: 2 },
      { type: 'evict', namespace: 'api', label, scope: 'prefix', keys: 0 },
    ]);
  });
});

describe('events$ and routes', () => {
  it('a cached route: miss, load, store, hit, labelled with the route', async () => {
    const subject = await boot({});
    expect((await subject.http().get('/books/7')).headers['x-cache']).toBe('MISS');
    expect((await subject.http().get('/books/7')).headers['x-cache']).toBe('HIT');
    expect(subject.events.map((event) => event.type)).toEqual(['miss', 'load', 'store', 'hit']);
    expect(new Set(subject.events.map((event) => 'label' in event && event.label))).toEqual(
      new Set(['BooksController.route']),
    );
  });
});

describe('what events never carry', () => {
  it('neither the cached value, nor the key, nor a tag name, nor a header, nor an error message', async () => {
    const subject = await boot({});
    for (let i = 0; i < 2; i++) {
      await subject.catalog.book(USER_ID);
      const response = await subject.http().get(`/books/${USER_ID}`).set('x-request-secret', SECRET);
      expect(response.text).toContain(SENTINEL);
      expect(response.headers['x-cache']).toBe(i === 0 ? 'MISS' : 'HIT'); // it did go through the cache
    }
    // A request with a credential bypasses the cache (and so emits nothing about itself).
    await subject.http().get(`/books/${USER_ID}`).set('authorization', `Bearer ${SECRET}`).set('cookie', SECRET);
    await expect(subject.catalog.failing(USER_ID)).rejects.toThrow(SENTINEL);
    await subject.cache.set(USER_ID, SENTINEL);
    await subject.cache.invalidateTags([`author:${USER_ID}`]);
    await subject.cache.del(USER_ID);
    const text = JSON.stringify(subject.events);
    expect(subject.events.length).toBeGreaterThan(10);
    for (const secret of [SENTINEL, SECRET, USER_ID, 'book:', 'author:', redis.url()])
      expect(text).not.toContain(secret);
  });
});

describe('without a subscriber', () => {
  it('builds no event: listening stays false, and an unsubscribed listener hears nothing more', async () => {
    const subject = await boot({}, false);
    const hub = subject.app.get(CacheEventsHub);
    const emit = jest.spyOn(hub, 'emit');
    const emitAt = jest.spyOn(hub, 'emitAt');
    await subject.catalog.book('a');
    await subject.catalog.book('a');
    expect(hub.listening).toBe(false);
    expect(emit).not.toHaveBeenCalled();
    expect(emitAt).not.toHaveBeenCalled();

    const seen: RedisCacheEvent[] = [];
    const subscription = subject.cache.events$.subscribe((event) => seen.push(event));
    expect(hub.listening).toBe(true);
    await subject.catalog.book('a');
    subscription.unsubscribe();
    expect(hub.listening).toBe(false);
    await subject.catalog.book('a');
    expect(seen.map((event) => event.type)).toEqual(['hit']);
  });

  it('completes events$ when the application closes', async () => {
    const subject = await boot({});
    let completed = false;
    subject.cache.events$.subscribe({ complete: () => (completed = true) });
    await subject.app.close();
    expect(completed).toBe(true);
  });
});

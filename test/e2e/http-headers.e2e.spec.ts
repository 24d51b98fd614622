/**
 * Issue 4, "Headers": `X-Cache: HIT | MISS | BYPASS` (configurable name, can be turned off),
 * `Age` on hits, optional `Cache-Control: public, max-age=<remaining ttl seconds>` (`private`
 * for per-user keys), weak `ETag` with `If-None-Match` → 304 on hits and on misses.
 */
import 'reflect-metadata';
import { Controller, Get, Header, HttpCode, Req, UseGuards, UseInterceptors } from '@nestjs/common';
import { ReadThrough, ReadThroughInterceptor, RedisCacheService } from '../../lib/index.js';
import { storedKeys } from '../helpers/redis-cli.helper.js';
import { useTestRedis } from '../helpers/test-redis.js';
import { BearerGuard, Counter, PLATFORMS, trackHttpApps, type FakeUser } from './fixtures/http-app.js';

const redis = useTestRedis();
const createApp = trackHttpApps(redis);

const TTL_SECONDS = 60;

@Controller('h')
@UseGuards(BearerGuard)
@UseInterceptors(ReadThroughInterceptor)
class HeadersController {
  constructor(private readonly counter: Counter) {}

  @Get('item')
  @ReadThrough('item', `${TTL_SECONDS}s`)
  async item(): Promise<{ name: string; n: number }> {
    return { name: 'item', n: this.counter.hit('item') };
  }

  /** The same body on every run, so a re-run after the entry is gone yields the same ETag. */
  @Get('stable')
  @ReadThrough('stable', `${TTL_SECONDS}s`)
  async stable(): Promise<{ name: string; version: number }> {
    this.counter.hit('stable');
    return { name: 'stable', version: 3 };
  }

  @Get('gone')
  @HttpCode(404)
  @ReadThrough('gone', `${TTL_SECONDS}s`, { statuses: [200, 404] })
  async gone(): Promise<{ missing: true }> {
    this.counter.hit('gone');
    return { missing: true };
  }

  /** The same 404 without the cache, to compare against. */
  @Get('gone-plain')
  @HttpCode(404)
  async gonePlain(): Promise<{ missing: true }> {
    return { missing: true };
  }

  @Get('text')
  @ReadThrough('text', `${TTL_SECONDS}s`)
  async text(): Promise<string> {
    return `plain text ${this.counter.hit('text')}`;
  }

  @Get('mine')
  @ReadThrough('mine:{user.id}', `${TTL_SECONDS}s`)
  async mine(@Req() req: { user?: FakeUser }): Promise<{ user: string; n: number }> {
    return { user: req.user!.id, n: this.counter.hit('mine') };
  }

  @Get('own-cache-control')
  @Header('Cache-Control', 'public, max-age=5')
  @ReadThrough('own', `${TTL_SECONDS}s`)
  async own(): Promise<{ n: number }> {
    return { n: this.counter.hit('own') };
  }
}

function ageOf(value: unknown): number {
  expect(typeof value).toBe('string');
  expect(value).toMatch(/^\d+$/);
  return Number(value);
}

function maxAgeOf(value: unknown, visibility: 'public' | 'private'): number {
  const match = new RegExp(`^${visibility}, max-age=(\\d+)$`).exec(String(value));
  if (!match) throw new Error(`expected "Cache-Control: ${visibility}, max-age=<n>", got ${String(value)}`);
  return Number(match[1]);
}

describe.each(PLATFORMS)('HTTP headers on %s', (platform, makeAdapter) => {
  it('X-Cache: MISS, then HIT; Age only on hits, a whole number of seconds >= 0', async () => {
    const { http } = await createApp(platform, makeAdapter(), { controllers: [HeadersController] });

    const started = Date.now();
    const miss = await http().get('/h/item').expect(200);
    expect(miss.headers['x-cache']).toBe('MISS');
    expect(miss.headers.age).toBeUndefined();

    const hit = await http().get('/h/item').expect(200);
    expect(hit.headers['x-cache']).toBe('HIT');
    const age = ageOf(hit.headers.age);
    expect(age).toBeGreaterThanOrEqual(0);
    expect(age).toBeLessThanOrEqual(Math.ceil((Date.now() - started) / 1000));
  });

  it('a custom cache status header name replaces X-Cache', async () => {
    const { http, counter } = await createApp(platform, makeAdapter(), {
      controllers: [HeadersController],
      cache: { http: { cacheStatusHeader: 'X-My-Cache' } },
    });

    const miss = await http().get('/h/item').expect(200);
    const hit = await http().get('/h/item').expect(200);
    const bypass = await http().get('/h/item').set('Cookie', 'sid=1').expect(200);
    expect([miss.headers['x-my-cache'], hit.headers['x-my-cache'], bypass.headers['x-my-cache']]).toEqual([
      'MISS',
      'HIT',
      'BYPASS',
    ]);
    for (const res of [miss, hit, bypass]) expect(res.headers['x-cache']).toBeUndefined();
    expect(counter.of('item')).toBe(2);
  });

  it('cacheStatusHeader: false sends no status header at all, and still caches', async () => {
    const { http, counter } = await createApp(platform, makeAdapter(), {
      controllers: [HeadersController],
      cache: { http: { cacheStatusHeader: false } },
    });

    const miss = await http().get('/h/item').expect(200);
    const hit = await http().get('/h/item').expect(200);
    const bypass = await http().get('/h/item').set('Cookie', 'sid=1').expect(200);
    for (const res of [miss, hit, bypass]) {
      expect(res.headers['x-cache']).toBeUndefined();
      expect(Object.values(res.headers).filter((v) => v === 'MISS' || v === 'HIT' || v === 'BYPASS')).toEqual([]);
    }
    expect(hit.body).toEqual({ name: 'item', n: 1 });
    expect(ageOf(hit.headers.age)).toBeGreaterThanOrEqual(0);
    expect(counter.of('item')).toBe(2);
  });

  it('no Cache-Control is sent for shared entries unless cacheControl is on', async () => {
    const { http } = await createApp(platform, makeAdapter(), { controllers: [HeadersController] });

    const miss = await http().get('/h/item').expect(200);
    const hit = await http().get('/h/item').expect(200);
    expect(miss.headers['cache-control']).toBeUndefined();
    expect(hit.headers['cache-control']).toBeUndefined();
  });

  it('cacheControl: true sends Cache-Control: public, max-age=N with 0 < N <= ttl seconds', async () => {
    const { http } = await createApp(platform, makeAdapter(), {
      controllers: [HeadersController],
      cache: { http: { cacheControl: true } },
    });

    const miss = await http().get('/h/item').expect(200);
    const hit = await http().get('/h/item').expect(200);
    expect(hit.headers['x-cache']).toBe('HIT');
    for (const res of [miss, hit]) {
      const maxAge = maxAgeOf(res.headers['cache-control'], 'public');
      expect(maxAge).toBeGreaterThan(0);
      expect(maxAge).toBeLessThanOrEqual(TTL_SECONDS);
    }
  });

  it('cacheControl: true keeps a Cache-Control the handler set itself', async () => {
    const { http, counter } = await createApp(platform, makeAdapter(), {
      controllers: [HeadersController],
      cache: { http: { cacheControl: true } },
    });

    const miss = await http().get('/h/own-cache-control').expect(200);
    const hit = await http().get('/h/own-cache-control').expect(200);
    expect(hit.headers['x-cache']).toBe('HIT');
    expect(miss.headers['cache-control']).toBe('public, max-age=5');
    expect(hit.headers['cache-control']).toBe('public, max-age=5');
    expect(counter.of('own')).toBe(1);
  });

  it.each([false, true])(
    'a per-user route sends Cache-Control: private, max-age=N (cacheControl: %s)',
    async (cacheControl) => {
      const { http } = await createApp(platform, makeAdapter(), {
        controllers: [HeadersController],
        cache: { http: { cacheControl } },
      });

      const miss = await http().get('/h/mine').set('Authorization', 'Bearer alice').expect(200);
      const hit = await http().get('/h/mine').set('Authorization', 'Bearer alice').expect(200);
      expect([miss.headers['x-cache'], hit.headers['x-cache']]).toEqual(['MISS', 'HIT']);
      for (const res of [miss, hit]) {
        const maxAge = maxAgeOf(res.headers['cache-control'], 'private');
        expect(maxAge).toBeGreaterThan(0);
        expect(maxAge).toBeLessThanOrEqual(TTL_SECONDS);
      }
    },
  );

  it.each(['item', 'text'])(
    'a weak ETag is sent on miss and hit, and is the same for the same body (%s)',
    async (path) => {
      const { http } = await createApp(platform, makeAdapter(), { controllers: [HeadersController] });

      const miss = await http().get(`/h/${path}`).expect(200);
      const hit = await http().get(`/h/${path}`).expect(200);
      expect(hit.headers['x-cache']).toBe('HIT');
      expect(miss.headers.etag).toMatch(/^W\/".+"$/);
      expect(hit.headers.etag).toBe(miss.headers.etag);
    },
  );

  it('If-None-Match with the ETag answers 304 with an empty body on a HIT', async () => {
    const { http, counter } = await createApp(platform, makeAdapter(), { controllers: [HeadersController] });

    const miss = await http().get('/h/item').expect(200);
    const etag = String(miss.headers.etag);
    expect(etag).toMatch(/^W\//);

    const notModified = await http().get('/h/item').set('If-None-Match', etag).expect(304);
    expect(notModified.headers['x-cache']).toBe('HIT');
    expect(notModified.text ?? '').toBe('');
    expect(notModified.headers.etag).toBe(etag);

    // A list containing it, and the strong form of the same tag, match too (weak comparison).
    await http().get('/h/item').set('If-None-Match', `W/"other", ${etag}`).expect(304);
    await http().get('/h/item').set('If-None-Match', etag.replace(/^W\//, '')).expect(304);

    const other = await http().get('/h/item').set('If-None-Match', 'W/"something-else"').expect(200);
    expect(other.headers['x-cache']).toBe('HIT');
    expect(other.text).toBe(miss.text);
    expect(counter.of('item')).toBe(1);
  });

  it('If-None-Match with the ETag answers 304 with an empty body on a MISS too, and the entry is stored', async () => {
    const { app, http, counter, prefix } = await createApp(platform, makeAdapter(), {
      controllers: [HeadersController],
    });

    const first = await http().get('/h/stable').expect(200);
    const etag = String(first.headers.etag);
    expect(etag).toMatch(/^W\//);
    expect(await app.get(RedisCacheService).clear()).toBe(1);
    expect(await storedKeys(redis, prefix)).toHaveLength(0);

    const notModified = await http().get('/h/stable').set('If-None-Match', etag).expect(304);
    expect(notModified.headers['x-cache']).toBe('MISS');
    expect(notModified.text ?? '').toBe('');
    expect(notModified.headers.etag).toBe(etag);
    expect(counter.of('stable')).toBe(2);
    expect(await storedKeys(redis, prefix)).toHaveLength(1);

    const full = await http().get('/h/stable').expect(200);
    expect(full.headers['x-cache']).toBe('HIT');
    expect(full.text).toBe(first.text);
    expect(full.headers['content-type']).toBe(first.headers['content-type']);
    expect(counter.of('stable')).toBe(2);
  });

  it('If-None-Match on a MISS whose body changed answers 200 with the new body and a new ETag', async () => {
    const { app, http } = await createApp(platform, makeAdapter(), { controllers: [HeadersController] });

    const first = await http().get('/h/item').expect(200);
    await app.get(RedisCacheService).clear();
    const changed = await http().get('/h/item').set('If-None-Match', String(first.headers.etag)).expect(200);
    expect(changed.headers['x-cache']).toBe('MISS');
    expect(changed.body).toEqual({ name: 'item', n: 2 });
    expect(changed.headers.etag).toMatch(/^W\//);
    expect(changed.headers.etag).not.toBe(first.headers.etag);
  });

  it('If-None-Match never turns a cached 404 into a 304 (RFC 9110 §13.2.1), like the uncached route', async () => {
    const { app, http, counter } = await createApp(platform, makeAdapter(), { controllers: [HeadersController] });

    const miss = await http().get('/h/gone').expect(404);
    expect(miss.headers['x-cache']).toBe('MISS');
    const etag = String(miss.headers.etag ?? 'W/"any"');

    const plain = await http().get('/h/gone-plain').set('If-None-Match', etag).expect(404);
    const hit = await http().get('/h/gone').set('If-None-Match', etag);
    expect(hit.headers['x-cache']).toBe('HIT');
    expect(hit.status).toBe(404);
    expect(hit.text).toBe(plain.text);

    await app.get(RedisCacheService).clear();
    const missAgain = await http().get('/h/gone').set('If-None-Match', etag);
    expect(missAgain.headers['x-cache']).toBe('MISS');
    expect(missAgain.status).toBe(404);
    expect(missAgain.text).toBe(plain.text);
    expect(counter.of('gone')).toBe(2);
  });
});

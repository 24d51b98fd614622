/**
 * Issue 11, decorator ergonomics: `@ReadThrough({ ttl })` (default key, these options) on routes
 * and provider methods, and `@ReadThrough()` on a controller class meaning "every GET/HEAD route
 * of it, each with its default key" (the one-line migration from `CacheInterceptor`). On a
 * provider class it fails bootstrap; with a key on a class it fails where it is written.
 */
import 'reflect-metadata';
import { Controller, Get, Injectable, Param, Post, Query, UseInterceptors } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import { InvalidRedisCacheOptionsError, ReadThrough, ReadThroughInterceptor } from '../../lib/index.js';
import { cli, storedKeys } from '../helpers/redis-cli.helper.js';
import { useTestRedis } from '../helpers/test-redis.js';
import { Counter, PLATFORMS, trackHttpApps } from './fixtures/http-app.js';

const redis = useTestRedis();
const createApp = trackHttpApps(redis);

@Controller('whole')
@UseInterceptors(ReadThroughInterceptor)
@ReadThrough({ ttl: '10s' })
class WholeController {
  constructor(private readonly counter: Counter) {}

  @Get()
  async list(@Query() query: Record<string, string>): Promise<{ query: Record<string, string>; n: number }> {
    return { query, n: this.counter.hit('list') };
  }

  @Get('items/:id')
  async item(@Param('id') id: string): Promise<{ id: string; n: number }> {
    return { id, n: this.counter.hit(`item:${id}`) };
  }

  @Post('items')
  async create(): Promise<{ n: number }> {
    return { n: this.counter.hit('create') };
  }

  // A route's own @ReadThrough wins over the class's.
  @Get('own')
  @ReadThrough('own', '1m')
  async own(): Promise<{ n: number }> {
    return { n: this.counter.hit('own') };
  }
}

@Injectable()
class RatesService {
  constructor(private readonly counter: Counter) {}

  @ReadThrough({ ttl: '10s' })
  async rate(currency: string): Promise<{ currency: string; n: number }> {
    return { currency, n: this.counter.hit(`rate:${currency}`) };
  }
}

@Injectable()
@ReadThrough()
class DecoratedProvider {
  async find(): Promise<string> {
    return 'x';
  }
}

/** Remaining time to live of the one stored key ending in `suffix`, in ms. */
async function pttlOf(prefix: string, suffix: string): Promise<number> {
  const keys = (await storedKeys(redis, prefix)).filter((key) => key.endsWith(suffix));
  expect(keys).toHaveLength(1);
  return Number(await cli(redis, 'PTTL', keys[0]!));
}

describe.each(PLATFORMS)('@ReadThrough on a controller class, %s', (platform, makeAdapter) => {
  it('caches every GET route with its default key and the class options', async () => {
    const { http, counter, prefix } = await createApp(platform, makeAdapter(), { controllers: [WholeController] });

    expect((await http().get('/whole?b=2&a=1').expect(200)).headers['x-cache']).toBe('MISS');
    const listHit = await http().get('/whole?a=1&b=2').expect(200);
    expect(listHit.headers['x-cache']).toBe('HIT');
    expect(listHit.body).toEqual({ query: { a: '1', b: '2' }, n: 1 });
    expect((await http().get('/whole/items/7').expect(200)).headers['x-cache']).toBe('MISS');
    const itemHit = await http().get('/whole/items/7').expect(200);
    expect(itemHit.headers['x-cache']).toBe('HIT');
    expect(itemHit.body).toEqual({ id: '7', n: 1 });
    expect(counter.of('list')).toBe(1);
    expect(counter.of('item:7')).toBe(1);

    // Default keys, with and without a query string; the class ttl (10 s) applies to both.
    for (const suffix of ['GET:/whole?a=1&b=2', 'GET:/whole/items/7']) {
      const pttl = await pttlOf(prefix, suffix);
      expect(pttl).toBeGreaterThan(0);
      expect(pttl).toBeLessThanOrEqual(10_000);
    }
  });

  it("answers HEAD from the GET route's entry; other methods pass through uncached", async () => {
    const { http, counter, prefix } = await createApp(platform, makeAdapter(), { controllers: [WholeController] });

    await http().get('/whole/items/9').expect(200);
    expect((await http().head('/whole/items/9').expect(200)).headers['x-cache']).toBe('HIT');
    expect(counter.of('item:9')).toBe(1);
    const first = await http().post('/whole/items').expect(201);
    const second = await http().post('/whole/items').expect(201);
    expect(first.headers['x-cache']).toBeUndefined();
    expect(second.body).toEqual({ n: 2 });
    expect(counter.of('create')).toBe(2);
    expect((await storedKeys(redis, prefix)).filter((key) => key.includes('POST'))).toEqual([]);
  });

  it("lets a route's own @ReadThrough win: its key and ttl", async () => {
    const { http, counter, prefix } = await createApp(platform, makeAdapter(), { controllers: [WholeController] });

    expect((await http().get('/whole/own').expect(200)).headers['x-cache']).toBe('MISS');
    expect((await http().get('/whole/own').expect(200)).headers['x-cache']).toBe('HIT');
    expect(counter.of('own')).toBe(1);
    expect(await storedKeys(redis, prefix)).toEqual([`${prefix}:default:own`]);
    expect(await pttlOf(prefix, ':own')).toBeGreaterThan(10_000);
  });
});

describe('@ReadThrough({ ttl }) and class-form errors', () => {
  it('on a provider method: default key, the given ttl', async () => {
    const { app, counter, prefix } = await createApp('express', new ExpressAdapter(), { providers: [RatesService] });
    const rates = app.get(RatesService);

    expect(await rates.rate('EUR')).toEqual({ currency: 'EUR', n: 1 });
    expect(await rates.rate('EUR')).toEqual({ currency: 'EUR', n: 1 });
    expect(counter.of('rate:EUR')).toBe(1);
    const [key] = await storedKeys(redis, prefix);
    expect(key).toContain('RatesService.rate');
    const pttl = Number(await cli(redis, 'PTTL', key!));
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(10_000);
  });

  it('on a provider class: bootstrap fails with InvalidRedisCacheOptionsError naming the class', async () => {
    const failed = createApp('express', new ExpressAdapter(), { providers: [DecoratedProvider] });
    await expect(failed).rejects.toThrow(InvalidRedisCacheOptionsError);
    await expect(failed).rejects.toThrow(/DecoratedProvider.*provider class/);
  });

  it('with a key on a class: a TypeError where the class is declared', () => {
    const decorate = ReadThrough('one:key') as unknown as (target: object) => void;
    expect(() => decorate(class Keyed {})).toThrow(/takes no key/);
  });
});

/**
 * Two kinds of reader of one stored key: a provider method whose key function names a route's
 * entry (`@ReadThrough((id) => `cat:${id}`)` beside route `@ReadThrough('cat:{params.id}')`), or two
 * routes with different `statuses`. On Redis each reader's codec and shape check refuses the
 * other's entry (a miss, never a wrong value). The L1 hands a decoded entry only to the reader
 * that decoded it, and single-flight never lets one kind join the other's load: before the fix
 * the method got the route's response object, and the strict route replayed a 404.
 */
import 'reflect-metadata';
import { Controller, Get, HttpCode, Injectable, Param, UseInterceptors } from '@nestjs/common';
import { ReadThrough, ReadThroughInterceptor, RedisCacheService } from '../../lib/index.js';
import { eventually } from '../helpers/polling.helper.js';
import { useTestRedis } from '../helpers/test-redis.js';
import { PLATFORMS, trackHttpApps } from './fixtures/http-app.js';

const redis = useTestRedis();
const createApp = trackHttpApps(redis);

@Injectable()
class CatService {
  runs = 0;

  // A key function: not compared with route templates at bootstrap (KeyShapeClaims skips functions).
  @ReadThrough((id: string) => `cat:${id}`, '1m')
  async find(id: string): Promise<{ id: string; name: string }> {
    this.runs++;
    return { id, name: 'Tom' };
  }
}

@Controller('cats')
@UseInterceptors(ReadThroughInterceptor)
class CatsController {
  @Get(':id')
  @ReadThrough('cat:{params.id}', '1m')
  async findOne(@Param('id') id: string): Promise<{ id: string; name: string; via: string }> {
    return { id, name: 'Tom', via: 'route' };
  }
}

/** Two routes sharing one key (allowed at bootstrap), with different allowed statuses. */
@Controller('items')
@UseInterceptors(ReadThroughInterceptor)
class ItemsController {
  @Get('lenient/:id')
  @HttpCode(404)
  @ReadThrough('item:{params.id}', '1m', { statuses: [200, 404] })
  async lenient(@Param('id') id: string): Promise<{ id: string; found: boolean }> {
    return { id, found: false };
  }

  @Get('strict/:id')
  @ReadThrough('item:{params.id}', '1m')
  async strict(@Param('id') id: string): Promise<{ id: string; found: boolean }> {
    return { id, found: true };
  }
}

const [express] = PLATFORMS;

/** Repeats `read` until one is answered from the L1 (true), or 2 s pass (false). */
function heldInL1(cache: RedisCacheService, read: () => PromiseLike<unknown>): Promise<boolean> {
  return eventually(
    2_000,
    async () => {
      const before = cache.stats().l1Hits ?? 0;
      await read();
      return (cache.stats().l1Hits ?? 0) > before;
    },
    5,
  );
}

describe('L1: a route and a provider method sharing a stored key', () => {
  it.each([false, true])('the provider never gets the route response as its value (l1: %s)', async (l1) => {
    const { app, http } = await createApp(express[0], express[1](), {
      controllers: [CatsController],
      providers: [CatService],
      cache: { l1, operationTimeout: '5s' },
    });
    const cache = app.get(RedisCacheService);
    const cats = app.get(CatService);
    if (l1) expect(await eventually(2_000, () => cache.stats().l1Live === true)).toBe(true);
    expect((await http().get('/cats/1')).headers['x-cache']).toBe('MISS');
    // Hit until the route's entry is held in L1.
    if (l1) expect(await heldInL1(cache, () => http().get('/cats/1'))).toBe(true);
    // Let the route's store finish (its load stays in the single-flight map until it is stored).
    await eventually(2_000, () => cache.stats().inflight === 0);
    await new Promise((r) => setTimeout(r, 50));
    // Redis path: the route's entry has serializer id "http", the provider's codec refuses it
    // (a miss), the method runs. L1 path: the held, decoded route entry is returned as the cat.
    const cat = await cats.find('1');
    expect(cat).toEqual({ id: '1', name: 'Tom' });
  });

  it('with shareValues the route never replays a provider value as a response', async () => {
    const { app, http } = await createApp(express[0], express[1](), {
      controllers: [CatsController],
      providers: [CatService],
      cache: { l1: { shareValues: true }, operationTimeout: '5s' },
    });
    const cache = app.get(RedisCacheService);
    const cats = app.get(CatService);
    expect(await eventually(2_000, () => cache.stats().l1Live === true)).toBe(true);
    await cats.find('2');
    expect(await heldInL1(cache, () => cats.find('2'))).toBe(true);
    const response = await http().get('/cats/2');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ id: '2', name: 'Tom', via: 'route' });
  });

  it.each([false, true])('a route never replays a status it does not allow (l1: %s)', async (l1) => {
    const { app, http } = await createApp(express[0], express[1](), {
      controllers: [ItemsController],
      cache: { l1, operationTimeout: '5s' },
    });
    const cache = app.get(RedisCacheService);
    if (l1) expect(await eventually(2_000, () => cache.stats().l1Live === true)).toBe(true);
    expect((await http().get('/items/lenient/3')).status).toBe(404);
    if (l1) expect(await heldInL1(cache, () => http().get('/items/lenient/3'))).toBe(true);
    // Redis path: parseHttpEntry(value, [200]) refuses the stored 404, the handler runs.
    const strict = await http().get('/items/strict/3');
    expect(strict.status).toBe(200);
    expect(strict.body).toEqual({ id: '3', found: true });
  });

  // Not the L1: single-flight. A route's load stays in the flight map (keyed by stored key only)
  // until its response is stored, which is after the response was sent; a provider call of the
  // same key in that window joins it and gets the route's entry object (no codec, no accept).
  it('a provider call right after the route responded does not join the route load (l1: false)', async () => {
    const { app, http } = await createApp(express[0], express[1](), {
      controllers: [CatsController],
      providers: [CatService],
      cache: { l1: false, operationTimeout: '5s' },
    });
    const cats = app.get(CatService);
    const response = await http().get('/cats/9');
    expect(response.headers['x-cache']).toBe('MISS');
    expect(await cats.find('9')).toEqual({ id: '9', name: 'Tom' });
  });
});

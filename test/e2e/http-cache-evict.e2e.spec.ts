/**
 * `@CacheEvict` on controller routes (issue 12), on Express and Fastify, on BOTH stores: a 2xx
 * response evicts (200, 204), a 404 or 500 (thrown) or a 409 the handler set does not; request
 * templates meet route `@ReadThrough` keys and tags, the eviction is done before the response is
 * sent, a service-method entry is evicted alongside, and bootstrap refuses what cannot work.
 */
import 'reflect-metadata';
import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Injectable,
  NotFoundException,
  Param,
  Post,
  Put,
  Query,
  Res,
  UseInterceptors,
} from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  CacheEvict,
  CachePut,
  InvalidRedisCacheOptionsError,
  ReadThrough,
  ReadThroughInterceptor,
} from '../../lib/index.js';
import { storedKeys } from '../helpers/redis-cli.helper.js';
import { flushPrefix, uniquePrefix, useTestRedis } from '../helpers/test-redis.js';
import { appMetadata, Counter, PLATFORMS, trackHttpApps } from './fixtures/http-app.js';

const redis = useTestRedis();
const createApp = trackHttpApps(redis);

@Injectable()
class CatsService {
  readonly names = new Map<string, string>();
  constructor(private readonly counter: Counter) {}

  @ReadThrough('cat-name:{0}', '1m')
  async name(id: string): Promise<{ name: string; n: number }> {
    return { name: this.names.get(id) ?? 'unnamed', n: this.counter.hit(`service:${id}`) };
  }

  @CacheEvict('cat-name:{0}')
  async rename(id: string, name: string): Promise<void> {
    this.names.set(id, name);
  }
}

@Controller('cats')
@UseInterceptors(ReadThroughInterceptor)
class CatsController {
  constructor(
    private readonly counter: Counter,
    private readonly cats: CatsService,
  ) {}

  @Get(':id')
  @ReadThrough('cat:{params.id}', '1m')
  async get(@Param('id') id: string): Promise<{ id: string; name: string; n: number }> {
    return { id, name: (await this.cats.name(id)).name, n: this.counter.hit(`get:${id}`) };
  }

  @Get(':id/tagged')
  @ReadThrough('tagged:{params.id}', '1m', { tags: ['cat:{params.id}'] })
  async tagged(@Param('id') id: string): Promise<{ id: string; n: number }> {
    return { id, n: this.counter.hit(`tagged:${id}`) };
  }

  @Put(':id')
  @CacheEvict('cat:{params.id}')
  async put(@Param('id') id: string, @Body() body: { name: string }, @Query('fail') fail?: string): Promise<object> {
    if (fail === '404') throw new NotFoundException();
    if (fail === '500') throw new Error('broken');
    await this.cats.rename(id, body.name);
    return { ok: true };
  }

  @Put(':id/conflict')
  @CacheEvict('cat:{params.id}')
  async conflict(@Param('id') _id: string, @Res({ passthrough: true }) res: { status(code: number): unknown }) {
    res.status(409);
    return { ok: false };
  }

  @Delete(':id')
  @HttpCode(204)
  @CacheEvict('cat:{params.id}')
  async remove(@Param('id') _id: string): Promise<void> {}

  @Post(':id/touch')
  @CacheEvict({ tags: ['cat:{params.id}'] })
  async touch(@Param('id') _id: string): Promise<void> {}
}

/** A listing keyed by an optional query parameter: every request without it shares one entry. */
@Controller('litters')
@UseInterceptors(ReadThroughInterceptor)
class LittersController {
  constructor(private readonly counter: Counter) {}

  @Get()
  @ReadThrough('litters:{query.color}', '1m', { missingKeyValue: 'empty' })
  async list(@Query('color') color?: string): Promise<{ color: string; n: number }> {
    return { color: color ?? 'any', n: this.counter.hit(`litters:${color ?? ''}`) };
  }

  @Post()
  @CacheEvict({ keys: 'litters:{query.color}', missingKeyValue: 'empty' })
  async add(): Promise<{ ok: boolean }> {
    return { ok: true };
  }
}

@Controller('bad')
@UseInterceptors(ReadThroughInterceptor)
class UnknownParamController {
  @Put(':id')
  @CacheEvict('cat:{params.nope}')
  async put(): Promise<void> {}
}

@Controller('bad')
class PutOnRouteController {
  @Put(':id')
  @CachePut('cat:{params.id}')
  async put(): Promise<void> {}
}

@Controller('bad')
class EvictingReadController {
  @Get(':id')
  @ReadThrough('cat:{params.id}')
  @CacheEvict('cat:{params.id}')
  async get(): Promise<void> {}
}

describe.each(PLATFORMS)('@CacheEvict on routes (%s)', (platform, makeAdapter) => {
  describe.each(['redis', 'memory'] as const)('on the %s store', (store) => {
    const prefixes: string[] = [];
    afterEach(async () => {
      await createApp.closeAll();
      if (store === 'redis') for (const prefix of prefixes.splice(0)) await flushPrefix(redis.url(), prefix);
    });

    async function boot() {
      const app = await createApp(platform, makeAdapter(), {
        controllers: [CatsController, LittersController],
        providers: [CatsService],
        cache: { store },
      });
      prefixes.push(app.prefix);
      return app;
    }

    it('PUT 200 evicts the GET entry (and the service entry it calls): HIT, PUT, MISS with the new data', async () => {
      const { http, counter, prefix } = await boot();
      expect((await http().get('/cats/1')).headers['x-cache']).toBe('MISS');
      const hit = await http().get('/cats/1');
      expect(hit.headers['x-cache']).toBe('HIT');
      expect(hit.body).toEqual({ id: '1', name: 'unnamed', n: 1 });
      if (store === 'redis') expect(await storedKeys(redis, prefix)).toContain(`${prefix}:default:cat:1`);

      await http().put('/cats/1').send({ name: 'Tom' }).expect(200);
      const after = await http().get('/cats/1');
      expect(after.headers['x-cache']).toBe('MISS');
      expect(after.body).toEqual({ id: '1', name: 'Tom', n: 2 });
      expect(counter.of('service:1')).toBe(2);
    });

    it('only the named entry goes: cat 2 stays a hit', async () => {
      const { http } = await boot();
      await http().get('/cats/1');
      await http().get('/cats/2');
      await http().put('/cats/1').send({ name: 'Tom' }).expect(200);
      expect((await http().get('/cats/2')).headers['x-cache']).toBe('HIT');
    });

    it.each([
      ['a thrown 404', '/cats/1?fail=404', 404],
      ['a thrown 500', '/cats/1?fail=500', 500],
      ['a 409 the handler set', '/cats/1/conflict', 409],
    ])('%s does not evict', async (_label, path, status) => {
      const { http } = await boot();
      await http().get('/cats/1');
      await http().put(path).send({ name: 'Tom' }).expect(status);
      const again = await http().get('/cats/1');
      expect(again.headers['x-cache']).toBe('HIT');
      expect(again.body.n).toBe(1);
    });

    it('DELETE with @HttpCode(204) evicts', async () => {
      const { http } = await boot();
      await http().get('/cats/1');
      await http().delete('/cats/1').expect(204);
      expect((await http().get('/cats/1')).headers['x-cache']).toBe('MISS');
    });

    it("missingKeyValue: 'empty' on both sides: a POST without ?color evicts the entry every request without it shares", async () => {
      const { http } = await boot();
      await http().get('/litters');
      await http().get('/litters?color=red');
      expect((await http().get('/litters')).headers['x-cache']).toBe('HIT');
      await http().post('/litters').expect(201);
      const after = await http().get('/litters');
      expect(after.headers['x-cache']).toBe('MISS');
      expect(after.body).toEqual({ color: 'any', n: 2 });
      expect((await http().get('/litters?color=red')).headers['x-cache']).toBe('HIT');
    });

    it("@CacheEvict({ tags: ['cat:{params.id}'] }) invalidates the routes tagged with that cat, not the others", async () => {
      const { http } = await boot();
      await http().get('/cats/1/tagged');
      await http().get('/cats/2/tagged');
      await http().post('/cats/1/touch').expect(201);
      expect((await http().get('/cats/1/tagged')).headers['x-cache']).toBe('MISS');
      expect((await http().get('/cats/2/tagged')).headers['x-cache']).toBe('HIT');
    });
  });

  it.each([
    ['an unknown {params.x}', UnknownParamController, /UnknownParamController\.put: keys.*params\.nope/],
    ['@CachePut on a route', PutOnRouteController, /PutOnRouteController\.put.*@CachePut on a controller route/],
    ['@ReadThrough + @CacheEvict on a route', EvictingReadController, /EvictingReadController\.get.*@CacheEvict/],
  ])('bootstrap refuses %s', async (_label, controller, message) => {
    const ref = await Test.createTestingModule(
      appMetadata(redis.url(), uniquePrefix('bad'), { controllers: [controller], cache: { store: 'memory' } }),
    ).compile();
    const app = ref.createNestApplication(makeAdapter(), { logger: false });
    try {
      const init = app.init();
      await expect(init).rejects.toBeInstanceOf(InvalidRedisCacheOptionsError);
      await expect(init).rejects.toThrow(message);
    } finally {
      await app.close().catch(() => undefined);
    }
  });
});

/**
 * Issue 4: a route key the interceptor cannot build fails bootstrap with
 * InvalidRedisCacheOptionsError naming `Controller.method: key`; and a cached route keeps
 * answering correctly when Redis is down or stalled (fail open).
 */
import 'reflect-metadata';
import { Controller, Get, Param, UseInterceptors, type Type } from '@nestjs/common';
import { InvalidRedisCacheOptionsError, ReadThrough, ReadThroughInterceptor } from '../../lib/index.js';
import { rejectionOf } from '../helpers/polling.helper.js';
import { startRedisServer, stopAllRedisServers, type RedisServerHandle } from '../helpers/redis-server.js';
import { useTestRedis } from '../helpers/test-redis.js';
import { Counter, PLATFORMS, trackHttpApps } from './fixtures/http-app.js';

const redis = useTestRedis();
const createApp = trackHttpApps(redis);

afterAll(async () => {
  await stopAllRedisServers();
});

@Controller('bad-fn')
@UseInterceptors(ReadThroughInterceptor)
class FunctionKeyController {
  @Get(':id')
  @ReadThrough((id: string) => `cat:${id}`)
  async findOne(@Param('id') id: string): Promise<{ id: string }> {
    return { id };
  }
}

@Controller('bad-template')
@UseInterceptors(ReadThroughInterceptor)
class BodyKeyController {
  @Get()
  @ReadThrough('{body.x}')
  async list(): Promise<string[]> {
    return [];
  }
}

/** Not even bound to the interceptor: routes are validated at bootstrap all the same. */
function badStatusController(status: number): Type<unknown> {
  @Controller('bad-status')
  class BadStatusController {
    @Get()
    @ReadThrough('ok', '1m', { statuses: [200, status] })
    async list(): Promise<string[]> {
      return [];
    }
  }
  return BadStatusController;
}

@Controller('cats')
@UseInterceptors(ReadThroughInterceptor)
class CatsController {
  constructor(private readonly counter: Counter) {}

  @Get(':id')
  @ReadThrough('cat:{params.id}', '1m')
  async findOne(@Param('id') id: string): Promise<{ id: string; name: string; n: number }> {
    return { id, name: `cat ${id}`, n: this.counter.hit(`cat:${id}`) };
  }
}

async function bootstrapError(run: () => Promise<unknown>): Promise<InvalidRedisCacheOptionsError> {
  const error = await rejectionOf(run());
  expect(error).toBeInstanceOf(InvalidRedisCacheOptionsError);
  return error as InvalidRedisCacheOptionsError;
}

describe.each(PLATFORMS)('HTTP bootstrap and faults on %s', (platform, makeAdapter) => {
  it('a function key on a controller route fails bootstrap, naming Controller.method: key', async () => {
    const error = await bootstrapError(() =>
      createApp(platform, makeAdapter(), { controllers: [FunctionKeyController] }),
    );
    expect(error.field).toBe('FunctionKeyController.findOne: key');
    expect(error.message).toContain('FunctionKeyController.findOne: key');
    expect(error.code).toBe('E_REDIS_CACHE_INVALID_OPTIONS');
  });

  it('a template over something other than params/query/user/headers fails bootstrap, naming Controller.method: key', async () => {
    const error = await bootstrapError(() => createApp(platform, makeAdapter(), { controllers: [BodyKeyController] }));
    expect(error.field).toBe('BodyKeyController.list: key');
    expect(error.message).toContain('BodyKeyController.list: key');
    expect(error.message).toContain('{body.x}');
  });

  it.each([500, 503, 206, 304])(
    'a route allowing status %i fails bootstrap, naming Controller.method: statuses',
    async (status) => {
      const error = await bootstrapError(() =>
        createApp(platform, makeAdapter(), { controllers: [badStatusController(status)] }),
      );
      expect(error.field).toBe('BadStatusController.list: statuses');
    },
  );

  describe('with a private Redis', () => {
    let server: RedisServerHandle;

    beforeEach(async () => {
      server = await startRedisServer();
    });

    afterEach(async () => {
      // Jest runs this inner afterEach before the tracker's: close the apps while Redis is still
      // there to say goodbye to, then stop it.
      await createApp.closeAll();
      await server.stop();
    });

    it('Redis killed: a cached route still answers 200 with the right body (fail open)', async () => {
      const { http, counter } = await createApp(platform, makeAdapter(), {
        controllers: [CatsController],
        url: server.url,
      });

      expect((await http().get('/cats/1').expect(200)).headers['x-cache']).toBe('MISS');
      const hit = await http().get('/cats/1').expect(200);
      expect(hit.headers['x-cache']).toBe('HIT');
      expect(hit.body).toEqual({ id: '1', name: 'cat 1', n: 1 });

      await server.kill();

      const cached = await http().get('/cats/1').expect(200);
      expect(cached.body).toEqual({ id: '1', name: 'cat 1', n: 2 });
      expect(cached.headers['x-cache']).not.toBe('HIT');
      const fresh = await http().get('/cats/2').expect(200);
      expect(fresh.body).toEqual({ id: '2', name: 'cat 2', n: 1 });
      expect(counter.of('cat:1')).toBe(2);
      expect(counter.of('cat:2')).toBe(1);
    });

    it('Redis stalled (SIGSTOP): a cached route still answers 200 with the right body (fail open)', async () => {
      const { http, counter } = await createApp(platform, makeAdapter(), {
        controllers: [CatsController],
        url: server.url,
        cache: { operationTimeout: '200ms' },
      });

      await http().get('/cats/1').expect(200);
      expect((await http().get('/cats/1').expect(200)).headers['x-cache']).toBe('HIT');

      await server.pause();
      try {
        const res = await http().get('/cats/1').expect(200);
        expect(res.body).toEqual({ id: '1', name: 'cat 1', n: 2 });
        expect(res.headers['x-cache']).not.toBe('HIT');
        expect(counter.of('cat:1')).toBe(2);
      } finally {
        server.resume();
      }
    });

    it('Redis down from the start: the app boots and cached routes answer 200 uncached', async () => {
      await server.kill();
      const { http, counter } = await createApp(platform, makeAdapter(), {
        controllers: [CatsController],
        url: server.url,
      });

      for (let i = 1; i <= 2; i++) {
        const res = await http().get('/cats/7').expect(200);
        expect(res.body).toEqual({ id: '7', name: 'cat 7', n: i });
      }
      expect(counter.of('cat:7')).toBe(2);
    });
  });
});

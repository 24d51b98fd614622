/**
 * A route and a provider method whose key templates derive the same stored keys
 * (`cat:{params.id}` and `cat:{0}` in one namespace): one key would hold a response and a method
 * value in turn, and a route calling the method would wait for its own load. Bootstrap refuses
 * it, naming both; with a namespace of its own the method is cached beside the route.
 */
import 'reflect-metadata';
import { Controller, Get, Injectable, Param, UseInterceptors } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { ReadThrough, ReadThroughInterceptor } from '../../lib/index.js';
import { useTestRedis } from '../helpers/test-redis.js';
import { appMetadata, Counter, PLATFORMS, trackHttpApps } from './fixtures/http-app.js';

const redis = useTestRedis();
const createApp = trackHttpApps(redis);

@Injectable()
class SameKeyService {
  constructor(private readonly counter: Counter) {}

  @ReadThrough('cat:{0}', '1m')
  async find(id: string): Promise<{ id: string; n: number }> {
    return { id, n: this.counter.hit('service') };
  }
}

@Injectable()
class OwnNamespaceService {
  constructor(private readonly counter: Counter) {}

  @ReadThrough('cat:{0}', '1m', { namespace: 'cats-service' })
  async find(id: string): Promise<{ id: string; n: number }> {
    return { id, n: this.counter.hit('service') };
  }
}

@Controller('cats')
@UseInterceptors(ReadThroughInterceptor)
class CatsController {
  constructor(private readonly cats: OwnNamespaceService) {}

  @Get(':id')
  @ReadThrough('cat:{params.id}', '1m')
  async one(@Param('id') id: string): Promise<{ id: string; n: number }> {
    return this.cats.find(id);
  }
}

@Controller('same')
@UseInterceptors(ReadThroughInterceptor)
class SameKeyController {
  constructor(private readonly cats: SameKeyService) {}

  @Get(':id')
  @ReadThrough('cat:{params.id}', '1m')
  async one(@Param('id') id: string): Promise<{ id: string; n: number }> {
    return this.cats.find(id);
  }
}

describe('a route and a method on one key shape', () => {
  it('fails bootstrap naming the route and the method', async () => {
    const moduleRef = await Test.createTestingModule(
      appMetadata(redis.url(), 'shared-key', { controllers: [SameKeyController], providers: [SameKeyService] }),
    ).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await expect(app.init()).rejects.toThrow(/SameKeyController\.one: key.*"cat:\{0\}" of SameKeyService\.find/s);
    await app.close();
  });

  it.each(PLATFORMS)(
    'with its own namespace the method is cached beside the route (%s)',
    async (platform, makeAdapter) => {
      const { http, counter } = await createApp(platform, makeAdapter(), {
        controllers: [CatsController],
        providers: [OwnNamespaceService],
      });
      const miss = await http().get('/cats/1').timeout(5_000);
      expect(miss.headers['x-cache']).toBe('MISS');
      expect(miss.body).toEqual({ id: '1', n: 1 });
      const hit = await http().get('/cats/1').timeout(5_000);
      expect(hit.headers['x-cache']).toBe('HIT');
      expect(hit.body).toEqual({ id: '1', n: 1 });
      expect(counter.of('service')).toBe(1);
    },
  );
});

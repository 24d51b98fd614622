/**
 * A route and a method it calls that derive one stored key (`cat:{params.id}` and `cat:{0}` in
 * one namespace): the inner call runs inside the route's own load of that key. Joining it would
 * wait for itself; the inner call runs uncached instead, and the request completes.
 */
import 'reflect-metadata';
import { Controller, Get, Injectable, Param, UseInterceptors } from '@nestjs/common';
import { ReadThrough, ReadThroughInterceptor } from '../../lib/index.js';
import { useTestRedis } from '../helpers/test-redis.js';
import { Counter, PLATFORMS, trackHttpApps } from './fixtures/http-app.js';

const redis = useTestRedis();
const createApp = trackHttpApps(redis);

@Injectable()
class CatsService {
  constructor(private readonly counter: Counter) {}

  @ReadThrough('cat:{0}', '1m')
  async find(id: string): Promise<{ id: string; n: number }> {
    return { id, n: this.counter.hit('service') };
  }
}

@Controller('cats')
@UseInterceptors(ReadThroughInterceptor)
class CatsController {
  constructor(private readonly cats: CatsService) {}

  @Get(':id')
  @ReadThrough('cat:{params.id}', '1m')
  async one(@Param('id') id: string): Promise<{ id: string; n: number }> {
    return this.cats.find(id);
  }
}

describe.each(PLATFORMS)('a route and the method it calls on one key (%s)', (platform, makeAdapter) => {
  it('completes: the inner call runs uncached, the route is cached', async () => {
    const { http, counter } = await createApp(platform, makeAdapter(), {
      controllers: [CatsController],
      providers: [CatsService],
    });
    const miss = await http().get('/cats/1').timeout(5_000);
    expect(miss.status).toBe(200);
    expect(miss.headers['x-cache']).toBe('MISS');
    expect(miss.body).toEqual({ id: '1', n: 1 });
    const hit = await http().get('/cats/1').timeout(5_000);
    expect(hit.headers['x-cache']).toBe('HIT');
    expect(hit.body).toEqual({ id: '1', n: 1 });
    expect(counter.of('service')).toBe(1);
  });
});

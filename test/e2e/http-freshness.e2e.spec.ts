/**
 * Freshness and tags on controller routes: a `ttl` function and `negativeTtl` decided on the
 * handler's value, tags over the request (derived like the key), invalidated by
 * `RedisCacheService.invalidateTags()`; `timeout` refused at bootstrap. Express and Fastify.
 */
import 'reflect-metadata';
import { Controller, Get, Param, UseInterceptors } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { ReadThrough, ReadThroughInterceptor, RedisCacheService } from '../../lib/index.js';
import { cli } from '../helpers/redis-cli.helper.js';
import { useTestRedis } from '../helpers/test-redis.js';
import { appMetadata, Counter, PLATFORMS, trackHttpApps } from './fixtures/http-app.js';

const redis = useTestRedis();
const createApp = trackHttpApps(redis);

@Controller('fresh')
@UseInterceptors(ReadThroughInterceptor)
class FreshController {
  constructor(private readonly counter: Counter) {}

  /** The body says how long it may be cached. */
  @Get('token/:ms')
  @ReadThrough('token:{params.ms}', (body: { ms: number }) => body.ms)
  async token(@Param('ms') ms: string): Promise<{ ms: number; n: number }> {
    return { ms: Number(ms), n: this.counter.hit('token') };
  }

  @Get('shelf/:shelf/book/:id')
  @ReadThrough('book:{params.id}', '1m', { tags: ['shelf:{params.shelf}'] })
  async book(@Param('id') id: string): Promise<{ id: string; n: number }> {
    return { id, n: this.counter.hit(`book-${id}`) };
  }
}

describe.each(PLATFORMS)('HTTP freshness and tags on %s', (platform, makeAdapter) => {
  it('a ttl function of the body sets each response entry lifetime; 0 or less is not stored', async () => {
    const { http, counter, prefix } = await createApp(platform, makeAdapter(), { controllers: [FreshController] });
    expect((await http().get('/fresh/token/60000')).headers['x-cache']).toBe('MISS');
    expect((await http().get('/fresh/token/60000')).headers['x-cache']).toBe('HIT');
    const ttl = Number(await cli(redis, 'PTTL', `${prefix}:default:token:60000`));
    expect(ttl).toBeGreaterThan(55_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
    await http().get('/fresh/token/2000');
    expect(Number(await cli(redis, 'PTTL', `${prefix}:default:token:2000`))).toBeLessThanOrEqual(2_000);
    await http().get('/fresh/token/0');
    // Not stored, so never a HIT. The first response leaves before its load has taken back the
    // key's write marker; on a loaded box the second request can join that load, which stored
    // nothing, and then runs its handler uncached (BYPASS) instead of as a MISS.
    expect(['MISS', 'BYPASS']).toContain((await http().get('/fresh/token/0')).headers['x-cache']);
    expect(await cli(redis, 'EXISTS', `${prefix}:default:token:0`)).toBe('0');
    expect(counter.of('token')).toBe(4);
  });

  it('invalidateTags drops the route entries of one tag value and leaves the others', async () => {
    const { app, http, counter } = await createApp(platform, makeAdapter(), { controllers: [FreshController] });
    for (const path of ['/fresh/shelf/a/book/1', '/fresh/shelf/a/book/2', '/fresh/shelf/b/book/3']) {
      expect((await http().get(path)).headers['x-cache']).toBe('MISS');
      expect((await http().get(path)).headers['x-cache']).toBe('HIT');
    }
    await app.get(RedisCacheService).invalidateTags(['shelf:a']);
    const again = await http().get('/fresh/shelf/a/book/1');
    expect(again.headers['x-cache']).toBe('MISS');
    expect(again.body).toEqual({ id: '1', n: 2 });
    expect((await http().get('/fresh/shelf/a/book/2')).headers['x-cache']).toBe('MISS');
    expect((await http().get('/fresh/shelf/b/book/3')).headers['x-cache']).toBe('HIT');
    expect(counter.of('book-3')).toBe(1);
    // A tag value with a separator in it is escaped like a key: shelf "a:b" is not shelf "a".
    await http().get('/fresh/shelf/a%3Ab/book/4');
    await app.get(RedisCacheService).invalidateTags(['shelf:a']);
    expect((await http().get('/fresh/shelf/a%3Ab/book/4')).headers['x-cache']).toBe('HIT');
  });
});

describe('HTTP freshness options that cannot be honoured', () => {
  it('timeout on a route fails bootstrap naming the route', async () => {
    @Controller('t')
    @UseInterceptors(ReadThroughInterceptor)
    class TimeoutController {
      @Get()
      @ReadThrough('t', '1m', { timeout: { hard: '1s' } })
      async get(): Promise<string> {
        return 't';
      }
    }
    const moduleRef = await Test.createTestingModule(
      appMetadata(redis.url(), 'http-timeout', { controllers: [TimeoutController] }),
    ).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await expect(app.init()).rejects.toThrow(/TimeoutController\.get: timeout/);
    await app.close();
  });
});

/**
 * Controller routes with the L1: a hit is answered from this process with the bytes the miss
 * sent and no Redis command; a write by another client reaches it. Express and Fastify.
 */
import 'reflect-metadata';
import { Controller, Get, Param, Req, UseGuards, UseInterceptors } from '@nestjs/common';
import { ReadThrough, ReadThroughInterceptor, RedisCacheService } from '../../lib/index.js';
import { eventually } from '../helpers/polling.helper.js';
import { startRedisServer, stopAllRedisServers, type RedisServerHandle } from '../helpers/redis-server.js';
import { useTestRedis } from '../helpers/test-redis.js';
import { BearerGuard, Counter, PLATFORMS, trackHttpApps, type FakeUser } from './fixtures/http-app.js';

const redis = useTestRedis();
const createApp = trackHttpApps(redis);
let server: RedisServerHandle;
beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(() => stopAllRedisServers());

@Controller('l1')
@UseInterceptors(ReadThroughInterceptor)
class L1Controller {
  constructor(private readonly counter: Counter) {}

  @Get(':id')
  @ReadThrough('item:{params.id}', '1m')
  async item(@Param('id') id: string): Promise<{ id: string; n: number }> {
    return { id, n: this.counter.hit('item') };
  }
}

@Controller('l1me')
@UseGuards(BearerGuard)
@UseInterceptors(ReadThroughInterceptor)
class L1MeController {
  constructor(private readonly counter: Counter) {}

  /** Per principal: keyed by the user; another route shares one entry for everyone without credentials. */
  @Get()
  @ReadThrough('me:{user.id}', '1m')
  async me(@Req() request: { user?: FakeUser }): Promise<{ owner: string; n: number }> {
    return { owner: request.user!.id, n: this.counter.hit('me') };
  }

  @Get('shared')
  @ReadThrough('shared', '1m')
  async shared(@Req() request: { user?: FakeUser }): Promise<{ owner: string; n: number }> {
    return { owner: request.user?.id ?? 'anonymous', n: this.counter.hit('shared') };
  }
}

async function getCalls(): Promise<number> {
  return Number(/cmdstat_get:calls=(\d+)/.exec(await server.command('INFO', 'commandstats'))?.[1] ?? 0);
}

describe.each(PLATFORMS)('HTTP routes with the L1 on %s', (platform, makeAdapter) => {
  it('a hit from L1 sends the stored bytes with no Redis command; a DEL from redis-cli reaches it', async () => {
    const { app, http, counter, prefix } = await createApp(platform, makeAdapter(), {
      controllers: [L1Controller],
      url: server.url,
      cache: { l1: true, operationTimeout: '5s' },
    });
    const cache = app.get(RedisCacheService);
    expect(await eventually(2_000, () => cache.stats().l1Live === true)).toBe(true);
    const miss = await http().get('/l1/a');
    expect(miss.headers['x-cache']).toBe('MISS');
    const redisHit = await http().get('/l1/a');
    expect(redisHit.headers['x-cache']).toBe('HIT');
    // The miss's own write sends this connection a push; arriving during the next read, it rightly
    // refuses that fill. Read until a hit comes from the L1, then count.
    const servedFromL1 = async (): Promise<boolean> => {
      const l1Hits = cache.stats().l1Hits ?? 0;
      await http().get('/l1/a');
      return (cache.stats().l1Hits ?? 0) > l1Hits;
    };
    expect(await eventually(2_000, servedFromL1, 10)).toBe(true);
    const before = await getCalls();
    for (let i = 0; i < 5; i++) {
      const hit = await http().get('/l1/a');
      expect(hit.headers['x-cache']).toBe('HIT');
      expect(hit.text).toBe(miss.text);
      expect(hit.headers['content-type']).toBe(miss.headers['content-type']);
    }
    expect((await getCalls()) - before).toBe(0);
    expect(cache.stats().l1Hits).toBeGreaterThanOrEqual(5);

    await server.command('DEL', `${prefix}:default:item:a`);
    expect(await eventually(2_000, async () => (await http().get('/l1/a')).headers['x-cache'] === 'MISS', 10)).toBe(
      true,
    );
    expect(counter.of('item')).toBe(2);
  });
});

describe.each(PLATFORMS)('the L1 never crosses principals on %s', (platform, makeAdapter) => {
  it("alice's entry held in L1 is never bob's; a credentialed request on an unkeyed route bypasses", async () => {
    const { app, http } = await createApp(platform, makeAdapter(), {
      controllers: [L1MeController],
      url: server.url,
      cache: { l1: true, operationTimeout: '5s' },
    });
    const cache = app.get(RedisCacheService);
    expect(await eventually(2_000, () => cache.stats().l1Live === true)).toBe(true);
    const as = (user: string) => http().get('/l1me').set('authorization', `Bearer ${user}`);
    for (let i = 0; i < 3; i++) {
      expect((await as('alice')).body.owner).toBe('alice');
      expect((await as('bob')).body.owner).toBe('bob');
    }
    expect(cache.stats().l1Hits).toBeGreaterThan(0);
    // The unkeyed route: warm it anonymously (held in L1), then a credentialed request must not get it.
    await http().get('/l1me/shared');
    await http().get('/l1me/shared');
    const credentialed = await http().get('/l1me/shared').set('authorization', 'Bearer carol');
    expect(credentialed.body.owner).toBe('carol');
    expect(credentialed.headers['x-cache']).not.toBe('HIT');
  });
});

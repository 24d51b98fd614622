/**
 * Issue 10, "Vary from the handler": a response whose handler sends `Vary: Accept` or
 * `Vary: X-Tenant` is not stored (the library does not key entries by a Vary it only learns
 * after the handler ran), and `Vary: *` is never stored. The Vary a key template implies
 * (`{headers.x-tenant}`) still caches and is replayed on hits.
 */
import 'reflect-metadata';
import { Controller, Get, Req, Res, UseInterceptors } from '@nestjs/common';
import { ReadThrough, ReadThroughInterceptor } from '../../lib/index.js';
import { storedKeys } from '../helpers/redis-cli.helper.js';
import { useTestRedis } from '../helpers/test-redis.js';
import { Counter, PLATFORMS, trackHttpApps } from './fixtures/http-app.js';

const redis = useTestRedis();
const createApp = trackHttpApps(redis);

type Req = { headers: Record<string, string | undefined> };
/** Express `Response` or Fastify `FastifyReply`: both have `header(name, value)`. */
type HeaderSetter = { header(name: string, value: string): unknown };

@Controller('vary')
@UseInterceptors(ReadThroughInterceptor)
class VaryController {
  constructor(private readonly counter: Counter) {}

  @Get('accept')
  @ReadThrough('accept')
  async accept(@Req() req: Req, @Res({ passthrough: true }) res: HeaderSetter): Promise<object> {
    res.header('Vary', 'Accept');
    return { accept: req.headers.accept ?? null, n: this.counter.hit('accept') };
  }

  @Get('tenant')
  @ReadThrough('tenant')
  async tenant(@Req() req: Req, @Res({ passthrough: true }) res: HeaderSetter): Promise<object> {
    res.header('Vary', 'X-Tenant');
    return { tenant: req.headers['x-tenant'] ?? null, n: this.counter.hit('tenant') };
  }

  @Get('star')
  @ReadThrough('star')
  async star(@Res({ passthrough: true }) res: HeaderSetter): Promise<object> {
    res.header('Vary', '*');
    return { n: this.counter.hit('star') };
  }

  @Get('keyed')
  @ReadThrough('keyed:{headers.x-tenant}')
  async keyed(@Req() req: Req): Promise<object> {
    return { tenant: req.headers['x-tenant'] ?? null, n: this.counter.hit('keyed') };
  }
}

describe.each(PLATFORMS)('HTTP: a Vary the handler sends, on %s', (platform, makeAdapter) => {
  it('Vary: Accept from the handler: nothing is stored, every request runs the handler and gets its own body', async () => {
    const { http, counter, prefix } = await createApp(platform, makeAdapter(), { controllers: [VaryController] });

    const accepts = ['application/json', 'text/html', 'application/json'];
    for (const [i, accept] of accepts.entries()) {
      const res = await http().get('/vary/accept').set('Accept', accept).expect(200);
      expect(res.body).toEqual({ accept, n: i + 1 });
      expect(['MISS', 'BYPASS']).toContain(res.headers['x-cache']);
    }
    expect(counter.of('accept')).toBe(3);
    expect(await storedKeys(redis, prefix)).toHaveLength(0);
  });

  it("Vary: X-Tenant from the handler: nothing is stored, tenant b never gets tenant a's body", async () => {
    const { http, counter, prefix } = await createApp(platform, makeAdapter(), { controllers: [VaryController] });

    for (const [i, tenant] of ['a', 'b', 'a', 'b'].entries()) {
      const res = await http().get('/vary/tenant').set('X-Tenant', tenant).expect(200);
      expect(res.body).toEqual({ tenant, n: i + 1 });
      expect(['MISS', 'BYPASS']).toContain(res.headers['x-cache']);
    }
    expect(counter.of('tenant')).toBe(4);
    expect(await storedKeys(redis, prefix)).toHaveLength(0);
  });

  it('Vary: * from the handler: never stored', async () => {
    const { http, counter, prefix } = await createApp(platform, makeAdapter(), { controllers: [VaryController] });

    for (let i = 1; i <= 3; i++) {
      const res = await http().get('/vary/star').expect(200);
      expect(res.body).toEqual({ n: i });
      expect(res.headers['x-cache']).not.toBe('HIT');
    }
    expect(counter.of('star')).toBe(3);
    expect(await storedKeys(redis, prefix)).toHaveLength(0);
  });

  it('control: a route keyed {headers.x-tenant} still caches one entry per tenant and replays Vary on hits', async () => {
    const { http, counter, prefix } = await createApp(platform, makeAdapter(), { controllers: [VaryController] });

    for (const expected of ['MISS', 'HIT']) {
      for (const tenant of ['a', 'b']) {
        const res = await http().get('/vary/keyed').set('X-Tenant', tenant).expect(200);
        expect(res.headers['x-cache']).toBe(expected);
        expect(res.body.tenant).toBe(tenant);
        expect(String(res.headers.vary).toLowerCase()).toContain('x-tenant');
      }
    }
    expect(counter.of('keyed')).toBe(2);
    expect(await storedKeys(redis, prefix)).toHaveLength(2);
  });
});

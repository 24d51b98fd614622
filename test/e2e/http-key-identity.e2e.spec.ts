/**
 * Issue 9, "Keys" and "Values" on controller routes, on Express and Fastify: a route key that
 * reads nothing never merges requests (bootstrap error where the route path tells, bypass at
 * run time otherwise), invalid percent-encoding never collapses two targets into one key,
 * credentials never reach Redis in clear, and a throwing `condition` never fails a request.
 */
import 'reflect-metadata';
import type { Test as SupertestRequest } from 'supertest';
import { Controller, Get, Param, Query, Req, UseGuards, UseInterceptors } from '@nestjs/common';
import { InvalidRedisCacheOptionsError, ReadThrough, ReadThroughInterceptor } from '../../lib/index.js';
import { rejectionOf } from '../helpers/polling.helper.js';
import { storedKeys } from '../helpers/redis-cli.helper.js';
import { useTestRedis } from '../helpers/test-redis.js';
import { BearerGuard, Counter, PLATFORMS, trackHttpApps, type FakeUser } from './fixtures/http-app.js';

const redis = useTestRedis();
const createApp = trackHttpApps(redis);

type Req = { headers: Record<string, string | undefined>; user?: FakeUser };

@Controller('ids')
@UseGuards(BearerGuard)
@UseInterceptors(ReadThroughInterceptor)
class IdentityController {
  constructor(private readonly counter: Counter) {}

  @Get('list')
  @ReadThrough('list:{query.pgae}')
  async list(@Query('page') page: string): Promise<{ page: string; n: number }> {
    return { page, n: this.counter.hit('list') };
  }

  @Get('me')
  @ReadThrough('me:{user.idd}')
  async me(@Req() req: Req): Promise<{ user: string | null; n: number }> {
    return { user: req.user?.id ?? null, n: this.counter.hit('me') };
  }

  @Get('search')
  @ReadThrough()
  async search(@Req() req: { url: string }): Promise<{ target: string; n: number }> {
    return { target: req.url, n: this.counter.hit('search') };
  }

  @Get('keyed')
  @ReadThrough('keyed:{headers.x-api-key}')
  async keyed(@Req() req: Req): Promise<{ owner: string | null; n: number }> {
    return { owner: req.headers['x-api-key'] ?? null, n: this.counter.hit('keyed') };
  }

  @Get('secret')
  @ReadThrough('secret')
  async secret(
    @Req() req: Req,
    @Query('access_token') token: string | undefined,
  ): Promise<{ owner: string | null; n: number }> {
    return {
      owner: req.headers['x-api-key'] ?? req.headers['proxy-authorization'] ?? token ?? null,
      n: this.counter.hit('secret'),
    };
  }

  @Get('cond/:id')
  @ReadThrough('cond:{params.id}', undefined, {
    condition: () => {
      throw new Error('route condition bug');
    },
  })
  async cond(@Param('id') id: string): Promise<{ id: string; n: number }> {
    return { id, n: this.counter.hit('cond') };
  }
}

@Controller('p')
@UseInterceptors(ReadThroughInterceptor)
class MisspelledParamController {
  @Get(':id')
  @ReadThrough('p:{params.idd}')
  async find(@Param('id') id: string): Promise<string> {
    return id;
  }
}

describe.each(PLATFORMS)('route keys and values on %s', (platform, makeAdapter) => {
  it('{params.idd} on route p/:id fails bootstrap naming the route, the placeholder and the declared params', async () => {
    const error = await rejectionOf(createApp(platform, makeAdapter(), { controllers: [MisspelledParamController] }));
    expect(error).toBeInstanceOf(InvalidRedisCacheOptionsError);
    const message = (error as Error).message;
    expect(message).toContain('MisspelledParamController.find: key');
    expect(message).toContain('{params.idd}');
    expect(message).toContain(':id');
  });

  it('{query.pgae} and {user.idd} read nothing: every request runs the handler and gets its own body (BYPASS)', async () => {
    const { http, counter } = await createApp(platform, makeAdapter(), { controllers: [IdentityController] });
    const one = await http().get('/ids/list?page=1');
    const two = await http().get('/ids/list?page=2');
    expect(one.body.page).toBe('1');
    expect(two.body.page).toBe('2');
    expect(two.headers['x-cache']).toBe('BYPASS');
    const alice = await http().get('/ids/me').set('Authorization', 'Bearer alice');
    const bob = await http().get('/ids/me').set('Authorization', 'Bearer bob');
    expect(alice.body.user).toBe('alice');
    expect(bob.body.user).toBe('bob');
    expect(counter.of('list') + counter.of('me')).toBe(4);
  });

  it('?q=%FF and ?q=%FE never share the default key', async () => {
    const { http, counter, prefix } = await createApp(platform, makeAdapter(), { controllers: [IdentityController] });
    const ff = await http().get('/ids/search?q=%FF');
    const fe = await http().get('/ids/search?q=%FE');
    expect(ff.body.target).toContain('%FF');
    expect(fe.body.target).toContain('%FE');
    expect((await http().get('/ids/search?q=%FF')).body.target).toContain('%FF');
    expect(counter.of('search')).toBe(2);
    expect((await storedKeys(redis, prefix)).length).toBe(2);
  });

  it('a credential header named by the key is stored as a digest: the secret never reaches Redis', async () => {
    const { http, counter, prefix } = await createApp(platform, makeAdapter(), { controllers: [IdentityController] });
    const alice = await http().get('/ids/keyed').set('X-API-Key', 'alice-s3cret');
    const bob = await http().get('/ids/keyed').set('X-API-Key', 'bob-s3cret');
    expect(alice.body.owner).toBe('alice-s3cret');
    expect(bob.body.owner).toBe('bob-s3cret');
    expect((await http().get('/ids/keyed').set('X-API-Key', 'alice-s3cret')).headers['x-cache']).toBe('HIT');
    expect(counter.of('keyed')).toBe(2);
    const keys = await storedKeys(redis, prefix);
    expect(keys.length).toBe(2);
    expect(keys.join('\n')).not.toContain('s3cret');
  });

  it.each([
    ['X-API-Key', (r: SupertestRequest, who: string) => r.set('X-API-Key', who)],
    ['Proxy-Authorization', (r: SupertestRequest, who: string) => r.set('Proxy-Authorization', who)],
  ])(
    'a request carrying %s on a route keyed "secret" bypasses: bob never gets alice\'s body',
    async (_, withCredential) => {
      const { http, counter } = await createApp(platform, makeAdapter(), { controllers: [IdentityController] });
      const alice = await withCredential(http().get('/ids/secret'), 'alice');
      const bob = await withCredential(http().get('/ids/secret'), 'bob');
      expect(alice.body.owner).toBe('alice');
      expect(bob.body.owner).toBe('bob');
      expect(bob.headers['x-cache']).toBe('BYPASS');
      expect(counter.of('secret')).toBe(2);
    },
  );

  it('?access_token= (in any case or encoding) makes a request per-principal', async () => {
    const { http, counter } = await createApp(platform, makeAdapter(), { controllers: [IdentityController] });
    expect((await http().get('/ids/secret?access_token=alice')).body.owner).toBe('alice');
    expect((await http().get('/ids/secret?access_token=bob')).body.owner).toBe('bob');
    expect((await http().get('/ids/secret?%61ccess_token=carol')).headers['x-cache']).toBe('BYPASS');
    expect(counter.of('secret')).toBe(3);
  });

  it('a throwing route condition answers 200 with the body and stores nothing', async () => {
    const { http, counter, prefix } = await createApp(platform, makeAdapter(), { controllers: [IdentityController] });
    const first = await http().get('/ids/cond/7');
    const second = await http().get('/ids/cond/7');
    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    expect(second.body.id).toBe('7');
    expect(counter.of('cond')).toBe(2);
    expect(await storedKeys(redis, prefix)).toEqual([]);
  });
});

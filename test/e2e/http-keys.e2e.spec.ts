/**
 * Issue 4, "Binding and keys" (keys part) and "Extension": request key templates, the default
 * `<METHOD>:<path>?<sorted query>` key, and a subclass overriding the protected `buildKey` hook.
 */
import 'reflect-metadata';
import {
  Controller,
  Get,
  Injectable,
  Param,
  Query,
  Req,
  UseGuards,
  UseInterceptors,
  type ExecutionContext,
} from '@nestjs/common';
import { ReadThrough, ReadThroughInterceptor, type RoutePolicy } from '../../lib/index.js';
import { storedKeys } from '../helpers/redis-cli.helper.js';
import { useTestRedis } from '../helpers/test-redis.js';
import { BearerGuard, Counter, PLATFORMS, trackHttpApps, type FakeUser } from './fixtures/http-app.js';

const redis = useTestRedis();
const createApp = trackHttpApps(redis);

type Req = { headers: Record<string, string | undefined>; user?: FakeUser };

@Controller('keys')
@UseGuards(BearerGuard)
@UseInterceptors(ReadThroughInterceptor)
class KeysController {
  constructor(private readonly counter: Counter) {}

  @Get('items/:id')
  @ReadThrough('item:{params.id}')
  async item(@Param('id') id: string): Promise<{ id: string; n: number }> {
    return { id, n: this.counter.hit(`item:${id}`) };
  }

  @Get('list')
  @ReadThrough('list:{query.page}')
  async list(
    @Query('page') page: string,
    @Query('noise') noise: string | undefined,
  ): Promise<{ page: string; noise: string | null; n: number }> {
    return { page, noise: noise ?? null, n: this.counter.hit(`list:${page}`) };
  }

  @Get('me')
  @ReadThrough('me:{user.id}')
  async me(@Req() req: Req): Promise<{ user: string; n: number }> {
    const user = req.user!.id;
    return { user, n: this.counter.hit(`me:${user}`) };
  }

  @Get('tenant')
  @ReadThrough('tenant:{headers.x-tenant}')
  async tenant(@Req() req: Req): Promise<{ tenant: string | null; n: number }> {
    const tenant = req.headers['x-tenant'] ?? null;
    return { tenant, n: this.counter.hit(`tenant:${tenant}`) };
  }

  @Get('default')
  @ReadThrough()
  async byDefault(@Query() query: Record<string, string>): Promise<{ query: Record<string, string>; n: number }> {
    return { query, n: this.counter.hit('default') };
  }
}

/** Keys every entry by the `X-Tenant` request header in front of the route's own key. */
@Injectable()
class TenantInterceptor extends ReadThroughInterceptor {
  protected override buildKey(context: ExecutionContext, route: RoutePolicy): string {
    const tenant = context.switchToHttp().getRequest<Req>().headers['x-tenant'];
    return `${tenant}:${super.buildKey(context, route)}`;
  }
}

@Controller('tenanted')
class TenantedController {
  constructor(private readonly counter: Counter) {}

  @Get('report')
  @UseInterceptors(TenantInterceptor)
  @ReadThrough()
  async report(@Req() req: Req): Promise<{ tenant: string | null; n: number }> {
    const tenant = req.headers['x-tenant'] ?? null;
    return { tenant, n: this.counter.hit('report') };
  }
}

describe.each(PLATFORMS)('HTTP keys on %s', (platform, makeAdapter) => {
  it('{params.id}: one entry per id', async () => {
    const { http, counter, prefix } = await createApp(platform, makeAdapter(), { controllers: [KeysController] });

    expect((await http().get('/keys/items/1').expect(200)).headers['x-cache']).toBe('MISS');
    expect((await http().get('/keys/items/2').expect(200)).headers['x-cache']).toBe('MISS');
    const one = await http().get('/keys/items/1').expect(200);
    const two = await http().get('/keys/items/2').expect(200);
    expect([one.headers['x-cache'], two.headers['x-cache']]).toEqual(['HIT', 'HIT']);
    expect(one.body).toEqual({ id: '1', n: 1 });
    expect(two.body).toEqual({ id: '2', n: 1 });
    expect(counter.of('item:1')).toBe(1);
    expect(counter.of('item:2')).toBe(1);
    expect(await storedKeys(redis, prefix)).toHaveLength(2);
  });

  it('{query.page}: one entry per page; query parameters outside the key do not split it', async () => {
    const { http, counter, prefix } = await createApp(platform, makeAdapter(), { controllers: [KeysController] });

    expect((await http().get('/keys/list?page=1').expect(200)).headers['x-cache']).toBe('MISS');
    expect((await http().get('/keys/list?page=2').expect(200)).headers['x-cache']).toBe('MISS');
    const again = await http().get('/keys/list?page=1&noise=zzz').expect(200);
    expect(again.headers['x-cache']).toBe('HIT');
    expect(again.body).toEqual({ page: '1', noise: null, n: 1 });
    expect((await http().get('/keys/list?page=2').expect(200)).body).toEqual({ page: '2', noise: null, n: 1 });
    expect(counter.of('list:1')).toBe(1);
    expect(counter.of('list:2')).toBe(1);
    expect(await storedKeys(redis, prefix)).toHaveLength(2);
  });

  it('{user.id}: one entry per user set by the guard', async () => {
    const { http, counter, prefix } = await createApp(platform, makeAdapter(), { controllers: [KeysController] });

    for (const user of ['alice', 'bob']) {
      const miss = await http().get('/keys/me').set('Authorization', `Bearer ${user}`).expect(200);
      expect(miss.headers['x-cache']).toBe('MISS');
      expect(miss.body).toEqual({ user, n: 1 });
    }
    for (const user of ['alice', 'bob']) {
      const hit = await http().get('/keys/me').set('Authorization', `Bearer ${user}`).expect(200);
      expect(hit.headers['x-cache']).toBe('HIT');
      expect(hit.body).toEqual({ user, n: 1 });
    }
    expect(counter.of('me:alice')).toBe(1);
    expect(counter.of('me:bob')).toBe(1);
    expect(await storedKeys(redis, prefix)).toHaveLength(2);
  });

  it('{headers.x-tenant}: one entry per header value, listed in Vary', async () => {
    const { http, counter, prefix } = await createApp(platform, makeAdapter(), { controllers: [KeysController] });

    for (const tenant of ['a', 'b']) {
      const miss = await http().get('/keys/tenant').set('X-Tenant', tenant).expect(200);
      expect(miss.headers['x-cache']).toBe('MISS');
      expect(miss.headers.vary?.toLowerCase()).toContain('x-tenant');
    }
    for (const tenant of ['a', 'b']) {
      const hit = await http().get('/keys/tenant').set('X-Tenant', tenant).expect(200);
      expect(hit.headers['x-cache']).toBe('HIT');
      expect(hit.headers.vary?.toLowerCase()).toContain('x-tenant');
      expect(hit.body).toEqual({ tenant, n: 1 });
    }
    expect(counter.of('tenant:a')).toBe(1);
    expect(counter.of('tenant:b')).toBe(1);
    expect(await storedKeys(redis, prefix)).toHaveLength(2);
  });

  it('default key: the query is sorted by name, so ?b=2&a=1 and ?a=1&b=2 share an entry', async () => {
    const { http, counter, prefix } = await createApp(platform, makeAdapter(), { controllers: [KeysController] });

    const miss = await http().get('/keys/default?b=2&a=1').expect(200);
    expect(miss.headers['x-cache']).toBe('MISS');
    const hit = await http().get('/keys/default?a=1&b=2').expect(200);
    expect(hit.headers['x-cache']).toBe('HIT');
    expect(hit.text).toBe(miss.text);
    expect(counter.of('default')).toBe(1);
    expect(await storedKeys(redis, prefix)).toHaveLength(1);
  });

  it('default key: different query values get different entries', async () => {
    const { http, counter, prefix } = await createApp(platform, makeAdapter(), { controllers: [KeysController] });

    const a1 = await http().get('/keys/default?a=1').expect(200);
    const a2 = await http().get('/keys/default?a=2').expect(200);
    expect([a1.headers['x-cache'], a2.headers['x-cache']]).toEqual(['MISS', 'MISS']);
    expect(a1.body).toEqual({ query: { a: '1' }, n: 1 });
    expect(a2.body).toEqual({ query: { a: '2' }, n: 2 });
    expect((await http().get('/keys/default?a=1').expect(200)).body).toEqual({ query: { a: '1' }, n: 1 });
    expect((await http().get('/keys/default?a=2').expect(200)).body).toEqual({ query: { a: '2' }, n: 2 });
    // No query at all is a third entry.
    expect((await http().get('/keys/default').expect(200)).body).toEqual({ query: {}, n: 3 });
    expect(counter.of('default')).toBe(3);
    expect(await storedKeys(redis, prefix)).toHaveLength(3);
  });

  it('a subclass overriding buildKey keys entries by tenant', async () => {
    // TenantInterceptor is not listed as a provider: Nest builds it for @UseInterceptors with the
    // inherited constructor dependencies, which the global RedisCacheModule exports.
    const { http, counter, prefix } = await createApp(platform, makeAdapter(), { controllers: [TenantedController] });

    const a = await http().get('/tenanted/report').set('X-Tenant', 'a').expect(200);
    const b = await http().get('/tenanted/report').set('X-Tenant', 'b').expect(200);
    expect([a.headers['x-cache'], b.headers['x-cache']]).toEqual(['MISS', 'MISS']);
    expect(a.body).toEqual({ tenant: 'a', n: 1 });
    expect(b.body).toEqual({ tenant: 'b', n: 2 });

    const a2 = await http().get('/tenanted/report').set('X-Tenant', 'a').expect(200);
    const b2 = await http().get('/tenanted/report').set('X-Tenant', 'b').expect(200);
    expect([a2.headers['x-cache'], b2.headers['x-cache']]).toEqual(['HIT', 'HIT']);
    expect(a2.body).toEqual({ tenant: 'a', n: 1 });
    expect(b2.body).toEqual({ tenant: 'b', n: 2 });
    expect(counter.of('report')).toBe(2);

    // <prefix>:<namespace>:<tenant>:<default key>
    expect((await storedKeys(redis, prefix)).sort()).toEqual([
      `${prefix}:default:a:GET:/tenanted/report`,
      `${prefix}:default:b:GET:/tenanted/report`,
    ]);
  });

  it('a subclass interceptor can also be provided and resolved from the container', async () => {
    const { app, http, counter } = await createApp(platform, makeAdapter(), {
      controllers: [TenantedController],
      providers: [TenantInterceptor],
    });
    expect(app.get(TenantInterceptor)).toBeInstanceOf(ReadThroughInterceptor);

    await http().get('/tenanted/report').set('X-Tenant', 'a').expect(200);
    const hit = await http().get('/tenanted/report').set('X-Tenant', 'a').expect(200);
    expect(hit.headers['x-cache']).toBe('HIT');
    expect(hit.body).toEqual({ tenant: 'a', n: 1 });
    expect(counter.of('report')).toBe(1);
  });
});

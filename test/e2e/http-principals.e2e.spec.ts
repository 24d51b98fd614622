/**
 * Issue 10, "Never cross principals": a request is per-principal when it carries any configured
 * credential header or query parameter, or when a guard set `req.user`; per-principal entries are
 * never sent as `Cache-Control: public`; and a `Set-Cookie` written after the handler returned
 * (express-session at `writeHead`, a Fastify `onSend` hook) prevents storage.
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import {
  Controller,
  Get,
  Injectable,
  Query,
  Req,
  UseGuards,
  UseInterceptors,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import session from 'express-session';
import { ReadThrough, ReadThroughInterceptor } from '../../lib/index.js';
import { storedKeys } from '../helpers/redis-cli.helper.js';
import { useTestRedis } from '../helpers/test-redis.js';
import {
  BearerGuard,
  Counter,
  PLATFORMS,
  occurrences,
  trackHttpApps,
  type FakeUser,
  type Platform,
} from './fixtures/http-app.js';

const redis = useTestRedis();
const createApp = trackHttpApps(redis);

type Req = { headers: Record<string, string | undefined>; user?: FakeUser; sessionID?: string; visitor?: string };

/** Authenticates by `X-API-Key: key-<user>` (a header the guard knows, not `Authorization`). */
@Injectable()
class ApiKeyGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<Req>();
    const match = /^key-(\w+)$/.exec(request.headers['x-api-key'] ?? '');
    if (match) request.user = { id: match[1] };
    return true;
  }
}

/** Authenticates by a header no credential list names: only `req.user` tells the request is per-principal. */
@Injectable()
class HouseTokenGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<Req>();
    const user = request.headers['x-house-token'];
    if (user) request.user = { id: user };
    return true;
  }
}

@Controller('p')
@UseInterceptors(ReadThroughInterceptor)
class PrincipalController {
  constructor(private readonly counter: Counter) {}

  @Get('me-bearer')
  @UseGuards(BearerGuard)
  @ReadThrough('me:{user.id}')
  async meBearer(@Req() req: Req): Promise<object> {
    return { user: req.user?.id ?? null, n: this.counter.hit('me-bearer') };
  }

  @Get('catalogue')
  @ReadThrough('catalogue')
  async catalogue(): Promise<object> {
    return { catalogue: 'public', n: this.counter.hit('catalogue') };
  }

  @Get('me-api-key')
  @UseGuards(ApiKeyGuard)
  @ReadThrough('me')
  async meApiKey(@Req() req: Req): Promise<object> {
    const user = req.user?.id ?? 'anonymous';
    return { user, secret: `${user}-secret`, n: this.counter.hit('me-api-key') };
  }

  @Get('me-house')
  @UseGuards(HouseTokenGuard)
  @ReadThrough('me-house')
  async meHouse(@Req() req: Req): Promise<object> {
    const user = req.user?.id ?? 'anonymous';
    return { user, secret: `${user}-secret`, n: this.counter.hit('me-house') };
  }

  @Get('list')
  @ReadThrough('list:{query.page}')
  async list(@Query() query: Record<string, string>): Promise<object> {
    return { page: query.page, viewer: query.access_token ?? null, n: this.counter.hit('list') };
  }

  @Get('proxy')
  @ReadThrough('proxy')
  async proxy(@Req() req: Req): Promise<object> {
    return { proxyUser: req.headers['proxy-authorization'] ?? null, n: this.counter.hit('proxy') };
  }

  /** Echoes the per-visitor id that express-session (Express) or an onRequest hook (Fastify) assigned. */
  @Get('visitor')
  @ReadThrough('visitor')
  async visitor(@Req() req: Req): Promise<object> {
    return { visitor: req.sessionID ?? req.visitor ?? null, n: this.counter.hit('visitor') };
  }
}

/** A per-visitor id whose cookie is written after the handler returned, the way each platform does it. */
function lateCookie(platform: Platform) {
  return (app: { use(...args: unknown[]): unknown; getHttpAdapter(): { getInstance(): unknown } }): void => {
    if (platform === 'express') {
      app.use(session({ secret: 'issue-10-test-secret', resave: false, saveUninitialized: true }));
      return;
    }
    type Hooked = {
      addHook(name: string, hook: (...args: never[]) => unknown): void;
      decorateRequest(name: string, value: unknown): void;
    };
    const fastify = app.getHttpAdapter().getInstance() as Hooked;
    fastify.decorateRequest('visitor', '');
    fastify.addHook('onRequest', async (request: Req) => {
      request.visitor = randomUUID();
    });
    fastify.addHook(
      'onSend',
      async (request: Req, reply: { header(name: string, value: string): unknown }, payload: unknown) => {
        reply.header('set-cookie', `vid=${request.visitor}; Path=/; HttpOnly`);
        return payload;
      },
    );
  };
}

describe.each(PLATFORMS)('HTTP principals on %s', (platform, makeAdapter) => {
  it('with http.cacheControl, a {user.id} route sends Cache-Control: private, max-age on miss and hit, never public', async () => {
    const { http, counter } = await createApp(platform, makeAdapter(), {
      controllers: [PrincipalController],
      cache: { http: { cacheControl: true } },
    });

    for (const expected of ['MISS', 'HIT']) {
      const res = await http().get('/p/me-bearer').set('Authorization', 'Bearer alice').expect(200);
      expect(res.headers['x-cache']).toBe(expected);
      expect(res.headers['cache-control']).toMatch(/^private, max-age=\d+$/);
      expect(occurrences(String(res.headers['cache-control']), 'public')).toBe(0);
    }
    expect(counter.of('me-bearer')).toBe(1);
  });

  it('control: with http.cacheControl, a shared route does send Cache-Control: public', async () => {
    const { http } = await createApp(platform, makeAdapter(), {
      controllers: [PrincipalController],
      cache: { http: { cacheControl: true } },
    });

    await http().get('/p/catalogue').expect(200);
    const hit = await http().get('/p/catalogue').expect(200);
    expect(hit.headers['x-cache']).toBe('HIT');
    expect(hit.headers['cache-control']).toMatch(/^public, max-age=\d+$/);
  });

  it("a route keyed 'me' behind an X-API-Key guard: bob never gets alice's body (BYPASS, nothing stored)", async () => {
    const { http, counter, prefix } = await createApp(platform, makeAdapter(), { controllers: [PrincipalController] });

    const alice = await http().get('/p/me-api-key').set('X-API-Key', 'key-alice').expect(200);
    const bob = await http().get('/p/me-api-key').set('X-API-Key', 'key-bob').expect(200);
    expect(alice.body).toEqual({ user: 'alice', secret: 'alice-secret', n: 1 });
    expect(bob.body).toEqual({ user: 'bob', secret: 'bob-secret', n: 2 });
    expect(occurrences(bob.text, 'alice')).toBe(0);
    expect([alice.headers['x-cache'], bob.headers['x-cache']]).toEqual(['BYPASS', 'BYPASS']);
    expect(counter.of('me-api-key')).toBe(2);
    expect(await storedKeys(redis, prefix)).toHaveLength(0);
  });

  it("a route keyed 'me-house' behind a guard that sets req.user from an unlisted header: bob never gets alice's body", async () => {
    const { http, prefix } = await createApp(platform, makeAdapter(), { controllers: [PrincipalController] });

    const alice = await http().get('/p/me-house').set('X-House-Token', 'alice').expect(200);
    const bob = await http().get('/p/me-house').set('X-House-Token', 'bob').expect(200);
    expect(bob.body).toEqual({ user: 'bob', secret: 'bob-secret', n: 2 });
    expect(occurrences(bob.text, 'alice')).toBe(0);
    expect([alice.headers['x-cache'], bob.headers['x-cache']]).toEqual(['BYPASS', 'BYPASS']);
    expect(await storedKeys(redis, prefix)).toHaveLength(0);
  });

  it('?access_token= on a route keyed list:{query.page} bypasses; the same page without a token is cached', async () => {
    const { http, prefix } = await createApp(platform, makeAdapter(), { controllers: [PrincipalController] });

    const alice = await http().get('/p/list?page=1&access_token=alice').expect(200);
    const bob = await http().get('/p/list?page=1&access_token=bob').expect(200);
    expect(bob.body).toEqual({ page: '1', viewer: 'bob', n: 2 });
    expect([alice.headers['x-cache'], bob.headers['x-cache']]).toEqual(['BYPASS', 'BYPASS']);
    expect(await storedKeys(redis, prefix)).toHaveLength(0);

    expect((await http().get('/p/list?page=1').expect(200)).headers['x-cache']).toBe('MISS');
    const anonymous = await http().get('/p/list?page=1').expect(200);
    expect(anonymous.headers['x-cache']).toBe('HIT');
    expect(anonymous.body).toEqual({ page: '1', viewer: null, n: 3 });
  });

  it("a response built from Proxy-Authorization bypasses: bob never gets alice's proxy credential", async () => {
    const { http, prefix } = await createApp(platform, makeAdapter(), { controllers: [PrincipalController] });

    const alice = await http().get('/p/proxy').set('Proxy-Authorization', 'Basic alice').expect(200);
    const bob = await http().get('/p/proxy').set('Proxy-Authorization', 'Basic bob').expect(200);
    expect(bob.body).toEqual({ proxyUser: 'Basic bob', n: 2 });
    expect([alice.headers['x-cache'], bob.headers['x-cache']]).toEqual(['BYPASS', 'BYPASS']);
    expect(await storedKeys(redis, prefix)).toHaveLength(0);
  });

  it(`a Set-Cookie written after the handler (${platform === 'express' ? 'express-session at writeHead' : 'Fastify onSend hook'}) prevents storage`, async () => {
    const { http, prefix } = await createApp(platform, makeAdapter(), {
      controllers: [PrincipalController],
      beforeInit: lateCookie(platform),
    });

    for (let i = 0; i < 3; i++) {
      const res = await http().get('/p/visitor').expect(200);
      expect(res.headers['set-cookie']).toBeDefined();
      expect(['MISS', 'BYPASS']).toContain(res.headers['x-cache']);
    }
    expect(await storedKeys(redis, prefix)).toHaveLength(0);
  });

  it("two visitors with late cookies never receive each other's cookie-bound body", async () => {
    const { http, counter } = await createApp(platform, makeAdapter(), {
      controllers: [PrincipalController],
      beforeInit: lateCookie(platform),
    });

    const seen: string[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await http().get('/p/visitor').expect(200);
      const visitor = String(res.body.visitor);
      // The body names the visitor its own cookie was issued for, never an earlier one's.
      expect(visitor).toMatch(/^[\w-]{8,}$/);
      expect(String(res.headers['set-cookie'])).toContain(visitor);
      for (const earlier of seen) expect(occurrences(res.text, earlier)).toBe(0);
      seen.push(visitor);
    }
    expect(counter.of('visitor')).toBe(4);
  });
});

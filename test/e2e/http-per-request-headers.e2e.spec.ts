/**
 * Issue 10, found by an outside review: headers that belong to one request never reach another
 * through the cache, and a Vary set by middleware is honoured. Express and Fastify.
 */
import 'reflect-metadata';
import {
  Controller,
  Get,
  Injectable,
  Req,
  UseGuards,
  UseInterceptors,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { ReadThrough, ReadThroughInterceptor } from '../../lib/index.js';
import { storedKeys } from '../helpers/redis-cli.helper.js';
import { useTestRedis } from '../helpers/test-redis.js';
import { storedText } from './fixtures/redis-contents.js';
import { Counter, PLATFORMS, trackHttpApps } from './fixtures/http-app.js';

const redis = useTestRedis();
const createApp = trackHttpApps(redis);

/** Bearer <id> → req.user, and tells the client who it is signed in as. */
@Injectable()
class WhoAmIGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const http = context.switchToHttp();
    const req = http.getRequest<{ headers: Record<string, string | undefined>; user?: { id: string } }>();
    const match = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
    if (match) {
      req.user = { id: match[1] };
      http.getResponse<{ header(n: string, v: string): unknown }>().header('X-Signed-In-As', `${match[1]}@example.com`);
    }
    return true;
  }
}

type LangRequest = { lang?: string; raw?: { lang?: string } };

@Controller('prh')
@UseInterceptors(ReadThroughInterceptor)
class PerRequestController {
  constructor(private readonly counter: Counter) {}

  @Get('news')
  @UseGuards(WhoAmIGuard)
  @ReadThrough('news', '1m', { shared: true })
  async news(): Promise<{ headline: string; n: number }> {
    return { headline: 'same for everyone', n: this.counter.hit('news') };
  }

  @Get('cors')
  @ReadThrough('cors', '1m')
  async cors(): Promise<{ n: number }> {
    return { n: this.counter.hit('cors') };
  }

  @Get('hello')
  @ReadThrough('hello', '1m')
  async hello(@Req() req: LangRequest): Promise<{ text: string }> {
    this.counter.hit('hello');
    return { text: (req.lang ?? req.raw?.lang) === 'fr' ? 'Bonjour' : 'Hello' };
  }
}

describe.each(PLATFORMS)('per-request headers on %s', (platform, makeAdapter) => {
  it("a guard's per-caller header is neither stored nor replayed to another caller", async () => {
    const { http, prefix } = await createApp(platform, makeAdapter(), { controllers: [PerRequestController] });
    const alice = await http().get('/prh/news').set('Authorization', 'Bearer alice');
    expect(alice.headers['x-signed-in-as']).toBe('alice@example.com');
    const anonymous = await http().get('/prh/news');
    expect(anonymous.headers['x-cache']).toBe('HIT');
    expect(anonymous.headers['x-signed-in-as']).toBeUndefined();
    expect(await storedText(redis, prefix)).not.toContain('alice@example.com');
  });

  it('CORS headers on a hit are those of this request: none for an origin CORS does not allow', async () => {
    const { http } = await createApp(platform, makeAdapter(), {
      controllers: [PerRequestController],
      beforeInit: (app) => app.enableCors({ origin: ['http://good.example'] }),
    });
    const good = await http().get('/prh/cors').set('Origin', 'http://good.example');
    expect(good.headers['access-control-allow-origin']).toBe('http://good.example');
    const evil = await http().get('/prh/cors').set('Origin', 'http://evil.example');
    expect(evil.headers['x-cache']).toBe('HIT');
    expect(evil.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('a Vary: Accept-Language set by middleware before the route is honoured: the response is not stored', async () => {
    const { http, counter, prefix } = await createApp(platform, makeAdapter(), {
      controllers: [PerRequestController],
      beforeInit: (app) => {
        app.use(
          (
            req: { headers: Record<string, string | undefined>; lang?: string },
            res: { setHeader(n: string, v: string): void },
            next: () => void,
          ) => {
            req.lang = (req.headers['accept-language'] ?? 'en').startsWith('fr') ? 'fr' : 'en';
            res.setHeader('Vary', 'Accept-Language');
            next();
          },
        );
      },
    });
    expect((await http().get('/prh/hello').set('Accept-Language', 'fr')).body.text).toBe('Bonjour');
    const en = await http().get('/prh/hello').set('Accept-Language', 'en');
    expect(en.body.text).toBe('Hello');
    expect(en.headers['x-cache']).not.toBe('HIT');
    expect(counter.of('hello')).toBe(2);
    expect(await storedKeys(redis, prefix)).toEqual([]);
  });
});

/**
 * Issue 13: the L1 holds a route's validated entry (status, headers, body) as it is and every
 * hit sends that same object. These tests try to break what that must not change: a HEAD is
 * answered from GET's held entry without a body, an outer interceptor's 403 is obeyed with the
 * entry held, this request's own headers are kept, and nothing a hit's pipeline does to what it
 * is handed (a downstream `end` scribbling on the body Buffer, a subclass hook pushing a header
 * onto the entry) reaches a later hit. Express and Fastify, no Redis command for any of them.
 */
import 'reflect-metadata';
import {
  Controller,
  ForbiddenException,
  Get,
  Injectable,
  Param,
  UseInterceptors,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import { map, type Observable } from 'rxjs';
import { ReadThrough, ReadThroughInterceptor, RedisCacheService, type CachedResponse } from '../../lib/index.js';
import type { RoutePolicy } from '../../lib/index.js';
import { eventually } from '../helpers/polling.helper.js';
import { startRedisServer, stopAllRedisServers, type RedisServerHandle } from '../helpers/redis-server.js';
import { useTestRedis } from '../helpers/test-redis.js';
import { Counter, PLATFORMS, trackHttpApps } from './fixtures/http-app.js';

const redis = useTestRedis();
const createApp = trackHttpApps(redis);
let server: RedisServerHandle;
beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(() => stopAllRedisServers());

type Req = { headers: Record<string, string | undefined> };
const rawOf = (res: { raw?: ServerResponse }): ServerResponse => res.raw ?? (res as unknown as ServerResponse);

/** Outside the cache: refuses a request that says `X-Deny`, after the (cached) value is there; stamps this request's id. */
@Injectable()
class OuterInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const http = context.switchToHttp();
    const request = http.getRequest<Req>();
    rawOf(http.getResponse()).setHeader('x-request-id', request.headers['x-id'] ?? 'none');
    return next.handle().pipe(
      map((value: unknown) => {
        if (request.headers['x-deny']) throw new ForbiddenException('denied');
        return value;
      }),
    );
  }
}

type ExpressJson = { json?(body: unknown): unknown; type?(t: string): { send(b: unknown): unknown } };
/**
 * Outside the cache: sends the value as bytes that are not UTF-8 (a base64 entry); on a hit it
 * has no value. Nest's Express adapter sends a Buffer as JSON, so there its `json` sends bytes.
 */
@Injectable()
class BinaryInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const res = context.switchToHttp().getResponse<ExpressJson>();
    const json = res.json;
    if (json && res.type) {
      res.json = function bytesOrJson(this: ExpressJson, body: unknown) {
        return Buffer.isBuffer(body) ? this.type!('application/octet-stream').send(body) : json.call(this, body);
      };
    }
    return next
      .handle()
      .pipe(map((value: { n: number } | undefined) => value && Buffer.from([0xff, 0xfe, 0x00, value.n, 0x80])));
  }
}

/** Outside the cache: with `X-Scribble`, zero-fills every Buffer chunk handed to `end` (after it was sent or not). */
@Injectable()
class ScribbleInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const http = context.switchToHttp();
    if (http.getRequest<Req>().headers['x-scribble']) {
      const res = rawOf(http.getResponse());
      const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
      res.end = ((...args: unknown[]) => {
        const result = end(...args);
        for (const arg of args) if (Buffer.isBuffer(arg)) arg.fill(0);
        return result;
      }) as ServerResponse['end'];
    }
    return next.handle();
  }
}

const tampered: string[] = [];
/** A subclass whose hook tries to change the entry it is shown. */
@Injectable()
class TamperingInterceptor extends ReadThroughInterceptor {
  protected override setHeaders(context: ExecutionContext, route: RoutePolicy, response: CachedResponse): void {
    if (response.entry) {
      try {
        (response.entry.headers as [string, string][]).push(['x-evil', '1']);
        tampered.push('changed');
      } catch {
        tampered.push('refused');
      }
    }
    super.setHeaders(context, route, response);
  }
}

@Controller('l1r')
class L1ReplayController {
  constructor(private readonly counter: Counter) {}

  @Get('item/:id')
  @UseInterceptors(OuterInterceptor, ReadThroughInterceptor)
  @ReadThrough('item:{params.id}', '1m')
  async item(@Param('id') id: string): Promise<{ id: string; n: number }> {
    return { id, n: this.counter.hit('item') };
  }

  @Get('bytes')
  @UseInterceptors(ScribbleInterceptor, BinaryInterceptor, ReadThroughInterceptor)
  @ReadThrough('bytes', '1m')
  async bytes(): Promise<{ n: number }> {
    return { n: this.counter.hit('bytes') };
  }

  @Get('tamper')
  @UseInterceptors(TamperingInterceptor)
  @ReadThrough('tamper', '1m')
  async tamper(): Promise<{ n: number }> {
    return { n: this.counter.hit('tamper') };
  }
}

async function getCalls(): Promise<number> {
  return Number(/cmdstat_get:calls=(\d+)/.exec(await server.command('INFO', 'commandstats'))?.[1] ?? 0);
}

describe.each(PLATFORMS)('route entries held in the L1 on %s', (platform, makeAdapter) => {
  async function l1App() {
    const app = await createApp(platform, makeAdapter(), {
      controllers: [L1ReplayController],
      url: server.url,
      cache: { l1: true, operationTimeout: '5s' },
    });
    const cache = app.app.get(RedisCacheService);
    expect(await eventually(2_000, () => cache.stats().l1Live === true)).toBe(true);
    /** GETs `path` until a hit came from the L1 (the first fill can be refused by the push of the miss' own write). */
    const warm = async (path: string): Promise<void> => {
      const start = cache.stats().l1Hits ?? 0;
      const ok = await eventually(2_000, async () => {
        await app.http().get(path);
        return (cache.stats().l1Hits ?? 0) > start;
      });
      expect(ok).toBe(true);
    };
    return { ...app, cache, warm };
  }

  it('HEAD is answered from GET’s held entry: same head, no body, no Redis command', async () => {
    const { http, warm, counter } = await l1App();
    const get = await http().get('/l1r/item/1').expect(200);
    await warm('/l1r/item/1');
    const before = await getCalls();
    const head = await http().head('/l1r/item/1').expect(200);
    expect(head.headers['x-cache']).toBe('HIT');
    expect(head.text ?? '').toBe('');
    expect(head.headers['content-type']).toBe(get.headers['content-type']);
    expect(head.headers['content-length']).toBe(String(Buffer.byteLength(get.text)));
    expect(head.headers.etag).toBe(get.headers.etag);
    // The held entry still sends its body to the next GET.
    const again = await http().get('/l1r/item/1').expect(200);
    expect(again.text).toBe(get.text);
    expect((await getCalls()) - before).toBe(0);
    expect(counter.of('item')).toBe(1);
  });

  it("an outer interceptor's 403 is obeyed with the entry held: no stored body, no cache headers; the next hit is intact", async () => {
    const { http, warm, counter } = await l1App();
    const get = await http().get('/l1r/item/2').expect(200);
    await warm('/l1r/item/2');
    const before = await getCalls();
    const denied = await http().get('/l1r/item/2').set('x-deny', '1').set('x-id', 'd1');
    expect(denied.status).toBe(403);
    expect(denied.text).not.toContain('"id":"2"');
    expect(denied.headers['x-cache']).toBeUndefined();
    expect(denied.headers.etag).toBeUndefined();
    expect(denied.headers.age).toBeUndefined();
    expect(denied.headers['x-request-id']).toBe('d1');
    const hit = await http().get('/l1r/item/2').set('x-id', 'h1').expect(200);
    expect(hit.headers['x-cache']).toBe('HIT');
    expect(hit.text).toBe(get.text);
    // This request's own header, not the one recorded on the miss.
    expect(hit.headers['x-request-id']).toBe('h1');
    expect((await getCalls()) - before).toBe(0);
    expect(counter.of('item')).toBe(1);
  });

  it('a Buffer body held in the L1 is never the one a hit hands downstream: scribbling on it spoils no later hit', async () => {
    const { http, warm, counter } = await l1App();
    const bytes = (req: ReturnType<ReturnType<typeof http>['get']>) =>
      req.buffer(true).parse((res, done) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => done(null, Buffer.concat(chunks)));
      });
    const miss = await bytes(http().get('/l1r/bytes')).expect(200);
    const expected = Buffer.from([0xff, 0xfe, 0x00, 1, 0x80]);
    expect(miss.body).toEqual(expected);
    await warm('/l1r/bytes');
    for (let i = 0; i < 3; i++) {
      expect((await bytes(http().get('/l1r/bytes').set('x-scribble', '1')).expect(200)).body).toEqual(expected);
      const hit = await bytes(http().get('/l1r/bytes')).expect(200);
      expect(hit.headers['x-cache']).toBe('HIT');
      expect(hit.body).toEqual(expected);
    }
    expect(counter.of('bytes')).toBe(1);
  });

  it('a subclass hook cannot change the held entry: later hits send what the miss sent', async () => {
    const { http, warm, counter } = await l1App();
    tampered.length = 0;
    const miss = await http().get('/l1r/tamper').expect(200);
    await warm('/l1r/tamper');
    for (let i = 0; i < 3; i++) {
      const hit = await http().get('/l1r/tamper').expect(200);
      expect(hit.headers['x-cache']).toBe('HIT');
      expect(hit.headers['x-evil']).toBeUndefined();
      expect(hit.text).toBe(miss.text);
    }
    expect(tampered.length).toBeGreaterThan(0);
    expect(tampered).not.toContain('changed');
    expect(counter.of('tamper')).toBe(1);
  });
});

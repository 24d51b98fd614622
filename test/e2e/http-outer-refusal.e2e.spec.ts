/**
 * Issue 10: on a hit the interceptors outside ReadThroughInterceptor run on no value. One that
 * then refuses the request (an ownership check on the returned value, throwing 403) is obeyed:
 * its error goes out, without the hit's cache headers, never the stored body of another caller.
 * One that maps the value (and fails on none) never fails a hit; one that sets a per-request
 * header after the handler sets it on hits too.
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
import { map, tap, type Observable } from 'rxjs';
import { ReadThrough, ReadThroughInterceptor } from '../../lib/index.js';
import { useTestRedis } from '../helpers/test-redis.js';
import { Counter, PLATFORMS, trackHttpApps } from './fixtures/http-app.js';

const redis = useTestRedis();
const createApp = trackHttpApps(redis);

/** Lets a document through only to its owner (named by the X-User header), after the handler. */
@Injectable()
class OwnerCheckInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const user = context.switchToHttp().getRequest<{ headers: Record<string, string | undefined> }>().headers['x-user'];
    return next.handle().pipe(
      map((doc: { owner?: string } | undefined) => {
        if (doc?.owner !== user) throw new ForbiddenException('not yours');
        return doc;
      }),
    );
  }
}

/** Wraps a list with its count: fails on a missing value, which an uncached route never hands it. */
@Injectable()
class CountInterceptor implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(map((items: unknown[]) => ({ items, total: items.length })));
  }
}

let trace = 0;
/** Stamps a per-request id after the value is there. */
@Injectable()
class TraceInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const res = context.switchToHttp().getResponse<{ header(n: string, v: string): unknown }>();
    return next.handle().pipe(tap(() => res.header('X-Trace-Id', `t${++trace}`)));
  }
}

@Controller('outer')
class OuterController {
  constructor(private readonly counter: Counter) {}

  @Get('counted')
  @UseInterceptors(CountInterceptor, ReadThroughInterceptor)
  @ReadThrough('counted', '1m')
  async counted(): Promise<string[]> {
    this.counter.hit('counted');
    return ['a', 'b'];
  }

  @Get('traced')
  @UseInterceptors(TraceInterceptor, ReadThroughInterceptor)
  @ReadThrough('traced', '1m')
  async traced(): Promise<{ n: number }> {
    return { n: this.counter.hit('traced') };
  }
}

@Controller('docs')
@UseInterceptors(OwnerCheckInterceptor, ReadThroughInterceptor)
class DocsController {
  constructor(private readonly counter: Counter) {}

  @Get(':id')
  @ReadThrough('doc:{params.id}', '1m')
  async find(@Param('id') id: string): Promise<{ id: string; owner: string; secret: string; n: number }> {
    return { id, owner: 'alice', secret: 'alice-only', n: this.counter.hit('doc') };
  }
}

describe.each(PLATFORMS)('an outer interceptor that refuses a hit, on %s', (platform, makeAdapter) => {
  it('is obeyed: bob gets its 403, never the body stored for alice', async () => {
    const { http, counter } = await createApp(platform, makeAdapter(), { controllers: [DocsController] });
    const alice = await http().get('/docs/1').set('X-User', 'alice');
    expect(alice.status).toBe(200);
    expect(alice.body.secret).toBe('alice-only');
    const bob = await http().get('/docs/1').set('X-User', 'bob');
    expect(bob.status).toBe(403);
    expect(bob.text).not.toContain('alice-only');
    expect(counter.of('doc')).toBe(1);
  });

  it("the refusal does not carry the hit's ETag, Age or public Cache-Control", async () => {
    const { http } = await createApp(platform, makeAdapter(), {
      controllers: [DocsController],
      cache: { http: { cacheControl: true } },
    });
    const alice = await http().get('/docs/2').set('X-User', 'alice');
    expect(alice.headers['cache-control']).toMatch(/public/);
    const bob = await http().get('/docs/2').set('X-User', 'bob');
    expect(bob.status).toBe(403);
    expect(bob.headers.etag).toBeUndefined();
    expect(bob.headers.age).toBeUndefined();
    expect(bob.headers['cache-control'] ?? '').not.toMatch(/public/);
  });

  it('an outer interceptor that maps the value never fails a hit: the hit is the bytes the miss sent', async () => {
    const { http, counter } = await createApp(platform, makeAdapter(), { controllers: [OuterController] });
    const miss = await http().get('/outer/counted');
    const hit = await http().get('/outer/counted');
    expect(miss.status).toBe(200);
    expect(hit.status).toBe(200);
    expect(hit.headers['x-cache']).toBe('HIT');
    expect(hit.text).toBe(miss.text);
    expect(counter.of('counted')).toBe(1);
  });

  it('a per-request header an outer interceptor sets after the handler is fresh on a hit', async () => {
    const { http } = await createApp(platform, makeAdapter(), { controllers: [OuterController] });
    const miss = await http().get('/outer/traced');
    const hit = await http().get('/outer/traced');
    expect(hit.headers['x-cache']).toBe('HIT');
    expect(hit.headers['x-trace-id']).toMatch(/^t\d+$/);
    expect(hit.headers['x-trace-id']).not.toBe(miss.headers['x-trace-id']);
  });
});

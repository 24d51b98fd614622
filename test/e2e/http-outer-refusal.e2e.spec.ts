/**
 * Issue 10: on a hit the interceptors outside ReadThroughInterceptor run on no value. One that
 * then refuses the request (an ownership check on the returned value, throwing 403) must be
 * obeyed: its error goes out, never the stored body of another caller.
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
import { map, type Observable } from 'rxjs';
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
});

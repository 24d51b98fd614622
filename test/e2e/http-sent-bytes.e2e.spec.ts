/**
 * Issue 10, "Store what was sent": a cached route stores the status, headers and body bytes the
 * platform sent, after every interceptor and serializer, and a hit sends exactly those bytes.
 * Global and inner interceptors, `ClassSerializerInterceptor`, a Fastify response schema,
 * Express `json spaces` / `json replacer`, a dynamic `@Redirect` and headers set through
 * `@Res({ passthrough: true })`; a route using `@Res()` without passthrough is refused at bootstrap.
 */
import 'reflect-metadata';
import {
  ClassSerializerInterceptor,
  Controller,
  Get,
  Injectable,
  Redirect,
  Res,
  UseInterceptors,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { RouteSchema } from '@nestjs/platform-fastify';
import { Exclude } from 'class-transformer';
import { map, type Observable } from 'rxjs';
import { InvalidRedisCacheOptionsError, ReadThrough, ReadThroughInterceptor } from '../../lib/index.js';
import { rejectionOf } from '../helpers/polling.helper.js';
import { useTestRedis } from '../helpers/test-redis.js';
import { Counter, PLATFORMS, occurrences, trackHttpApps, type HttpApp } from './fixtures/http-app.js';
import { storedText } from './fixtures/redis-contents.js';

const redis = useTestRedis();
const createApp = trackHttpApps(redis);

const PASSWORD = 'hunter2-do-not-cache';
const PASSWORD_HASH = '$argon2id$v=19$do-not-cache';
const REPLACED_SECRET = 'replaced-by-json-replacer';

/** The Nest docs' response wrapper: `{ data: <handler value> }`. */
@Injectable()
class TransformInterceptor implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(map((data) => ({ data })));
  }
}

/** A method-level interceptor, inside ReadThroughInterceptor, that adds a field. */
@Injectable()
class StampInterceptor implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(map((body) => ({ ...(body as object), stamped: 'inner' })));
  }
}

class UserEntity {
  id!: string;
  name!: string;
  @Exclude() password!: string;

  constructor(fields: UserEntity) {
    Object.assign(this, fields);
  }
}

/** Express `Response` or Fastify `FastifyReply`: both have `header(name, value)`. */
type HeaderSetter = { header(name: string, value: string): unknown };

@Controller('bytes')
@UseInterceptors(ReadThroughInterceptor)
class BytesController {
  constructor(private readonly counter: Counter) {}

  @Get('plain')
  @ReadThrough('plain')
  async plain(): Promise<object> {
    return { id: '1', name: 'alice', n: this.counter.hit('plain') };
  }

  @Get('inner')
  @UseInterceptors(StampInterceptor)
  @ReadThrough('inner')
  async inner(): Promise<object> {
    return { id: '1', n: this.counter.hit('inner') };
  }

  @Get('user')
  @ReadThrough('user')
  async user(): Promise<UserEntity> {
    this.counter.hit('user');
    return new UserEntity({ id: '1', name: 'alice', password: PASSWORD });
  }

  @Get('replaced')
  @ReadThrough('replaced')
  async replaced(): Promise<object> {
    return { id: '1', secret: REPLACED_SECRET, n: this.counter.hit('replaced') };
  }

  @Get('go')
  @Redirect('/default', 301)
  @ReadThrough('go', undefined, { statuses: [302] })
  async go(): Promise<{ url: string; statusCode: number }> {
    return { url: `/elsewhere/${this.counter.hit('go')}`, statusCode: 302 };
  }

  @Get('custom-header')
  @ReadThrough('custom-header')
  async customHeader(@Res({ passthrough: true }) res: HeaderSetter): Promise<object> {
    res.header('X-Custom', 'v1');
    return { n: this.counter.hit('custom-header') };
  }
}

/** Fastify serializes this route through its response schema, which drops `passwordHash`. */
@Controller('schema')
@UseInterceptors(ReadThroughInterceptor)
class SchemaController {
  constructor(private readonly counter: Counter) {}

  @Get()
  @RouteSchema({ response: { 200: { type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' }, n: { type: 'number' } } } } })
  @ReadThrough('schema')
  async get(): Promise<object> {
    return { id: '1', name: 'alice', passwordHash: PASSWORD_HASH, n: this.counter.hit('schema') };
  }
}

@Controller('raw')
@UseInterceptors(ReadThroughInterceptor)
class RawResponseController {
  @Get()
  @ReadThrough('raw')
  async raw(@Res() res: { send(body: unknown): unknown }): Promise<void> {
    res.send({ raw: true });
  }
}

/** GETs `path` twice; asserts MISS then HIT with the same status, content type and body bytes. */
async function missThenHit({ http }: HttpApp, path: string): Promise<{ miss: string; hit: string }> {
  const miss = await http().get(path).expect(200);
  const hit = await http().get(path).expect(200);
  expect(miss.headers['x-cache']).toBe('MISS');
  expect(hit.headers['x-cache']).toBe('HIT');
  expect(hit.headers['content-type']).toBe(miss.headers['content-type']);
  expect(hit.text).toBe(miss.text);
  return { miss: miss.text, hit: hit.text };
}

describe.each(PLATFORMS)('HTTP: a hit sends the bytes the miss sent, on %s', (platform, makeAdapter) => {
  it('a global TransformInterceptor ({ data } wrapper) around ReadThroughInterceptor: the hit is byte-identical', async () => {
    const app = await createApp(platform, makeAdapter(), {
      controllers: [BytesController],
      beforeInit: (nest) => void nest.useGlobalInterceptors(new TransformInterceptor()),
    });

    const { miss } = await missThenHit(app, '/bytes/plain');
    expect(miss).toBe('{"data":{"id":"1","name":"alice","n":1}}');
    expect(app.counter.of('plain')).toBe(1);
  });

  it('a method-level interceptor inside ReadThroughInterceptor that adds a field: the hit is byte-identical', async () => {
    const app = await createApp(platform, makeAdapter(), { controllers: [BytesController] });

    const { miss } = await missThenHit(app, '/bytes/inner');
    expect(JSON.parse(miss)).toEqual({ id: '1', n: 1, stamped: 'inner' });
    expect(app.counter.of('inner')).toBe(1);
  });

  it('a global ClassSerializerInterceptor with @Exclude() password: the hit has no password', async () => {
    const app = await createApp(platform, makeAdapter(), {
      controllers: [BytesController],
      beforeInit: (nest) => void nest.useGlobalInterceptors(new ClassSerializerInterceptor(nest.get(Reflector))),
    });

    const { miss, hit } = await missThenHit(app, '/bytes/user');
    expect(JSON.parse(miss)).toEqual({ id: '1', name: 'alice' });
    expect(occurrences(hit, PASSWORD)).toBe(0);
    expect(app.counter.of('user')).toBe(1);
  });

  it('a global ClassSerializerInterceptor with @Exclude() password: no key stored in Redis holds the password', async () => {
    const app = await createApp(platform, makeAdapter(), {
      controllers: [BytesController],
      beforeInit: (nest) => void nest.useGlobalInterceptors(new ClassSerializerInterceptor(nest.get(Reflector))),
    });

    expect((await app.http().get('/bytes/user').expect(200)).headers['x-cache']).toBe('MISS');
    const stored = await storedText(redis, app.prefix);
    expect(occurrences(stored, `${app.prefix}:default:user`)).toBe(1);
    expect(occurrences(stored, PASSWORD)).toBe(0);
  });

  it('a dynamic @Redirect: the hit redirects to the same target with the same status, without running the handler', async () => {
    const { http, counter } = await createApp(platform, makeAdapter(), { controllers: [BytesController] });

    const miss = await http().get('/bytes/go').redirects(0).expect(302);
    expect(miss.headers.location).toBe('/elsewhere/1');
    expect(miss.headers['x-cache']).toBe('MISS');
    const hit = await http().get('/bytes/go').redirects(0);
    expect(hit.status).toBe(302);
    expect(hit.headers.location).toBe('/elsewhere/1');
    expect(hit.headers['x-cache']).toBe('HIT');
    expect(counter.of('go')).toBe(1);
  });

  it('a header set through @Res({ passthrough: true }): the hit carries the same header and value', async () => {
    const app = await createApp(platform, makeAdapter(), { controllers: [BytesController] });

    const miss = await app.http().get('/bytes/custom-header').expect(200);
    expect(miss.headers['x-custom']).toBe('v1');
    const hit = await app.http().get('/bytes/custom-header').expect(200);
    expect(hit.headers['x-cache']).toBe('HIT');
    expect(hit.headers['x-custom']).toBe('v1');
    expect(hit.text).toBe(miss.text);
    expect(app.counter.of('custom-header')).toBe(1);
  });

  it('a @ReadThrough route using @Res() without passthrough fails bootstrap, naming Controller.method', async () => {
    const error = await rejectionOf(createApp(platform, makeAdapter(), { controllers: [RawResponseController] }));
    expect(error).toBeInstanceOf(InvalidRedisCacheOptionsError);
    expect((error as Error).message).toContain('RawResponseController.raw');
  });
});

describe('HTTP: Fastify only (response schemas are a Fastify serializer)', () => {
  const [platform, makeAdapter] = PLATFORMS[1];

  it('a response schema that drops passwordHash: miss and hit are byte-identical and lack it', async () => {
    const app = await createApp(platform, makeAdapter(), { controllers: [SchemaController] });

    const { miss, hit } = await missThenHit(app, '/schema');
    expect(JSON.parse(miss)).toEqual({ id: '1', name: 'alice', n: 1 });
    expect(occurrences(hit, PASSWORD_HASH)).toBe(0);
    expect(app.counter.of('schema')).toBe(1);
  });

  it('a response schema that drops passwordHash: Redis never holds it', async () => {
    const app = await createApp(platform, makeAdapter(), { controllers: [SchemaController] });

    expect((await app.http().get('/schema').expect(200)).headers['x-cache']).toBe('MISS');
    const stored = await storedText(redis, app.prefix);
    expect(occurrences(stored, `${app.prefix}:default:schema`)).toBe(1);
    expect(occurrences(stored, PASSWORD_HASH)).toBe(0);
  });
});

describe('HTTP: Express only (json spaces and json replacer are Express settings)', () => {
  const [platform, makeAdapter] = PLATFORMS[0];

  it("app.set('json spaces', 2): the hit sends the miss's indented bytes", async () => {
    const app = await createApp(platform, makeAdapter(), {
      controllers: [BytesController],
      beforeInit: (nest) => void nest.getHttpAdapter().getInstance().set('json spaces', 2),
    });

    const { miss } = await missThenHit(app, '/bytes/plain');
    expect(miss).toBe(JSON.stringify({ id: '1', name: 'alice', n: 1 }, null, 2));
    expect(app.counter.of('plain')).toBe(1);
  });

  it("app.set('json replacer', ...): the hit sends the miss's bytes, and Redis never holds the replaced field", async () => {
    const app = await createApp(platform, makeAdapter(), {
      controllers: [BytesController],
      beforeInit: (nest) =>
        void nest.getHttpAdapter().getInstance().set('json replacer', (key: string, value: unknown) => (key === 'secret' ? undefined : value)),
    });

    const { miss } = await missThenHit(app, '/bytes/replaced');
    expect(JSON.parse(miss)).toEqual({ id: '1', n: 1 });
    expect(occurrences(await storedText(redis, app.prefix), REPLACED_SECRET)).toBe(0);
    expect(app.counter.of('replaced')).toBe(1);
  });
});

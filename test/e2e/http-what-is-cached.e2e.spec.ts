/**
 * Issue 4, "What is cached": GET and HEAD only; status 200 unless the route lists others; thrown
 * HttpExceptions never stored; never StreamableFile, streams, Set-Cookie, `Cache-Control:
 * no-store | private`; and a hit reproduces the miss byte for byte.
 */
import 'reflect-metadata';
import { Readable } from 'node:stream';
import {
  Controller,
  Get,
  Header,
  HttpCode,
  InternalServerErrorException,
  NotFoundException,
  Post,
  Res,
  StreamableFile,
  UseInterceptors,
} from '@nestjs/common';
import { ReadThrough, ReadThroughInterceptor } from '../../lib/index.js';
import { cli, storedKeys } from '../helpers/redis-cli.helper.js';
import { useTestRedis } from '../helpers/test-redis.js';
import { Counter, PLATFORMS, trackHttpApps } from './fixtures/http-app.js';

const redis = useTestRedis();
const createApp = trackHttpApps(redis);

/** Express `Response` or Fastify `FastifyReply`, as far as these handlers use them. */
type AnyResponse = {
  raw?: unknown;
  header(name: string, value: string): unknown;
  cookie?(name: string, value: string): unknown;
};

@Controller('w')
@UseInterceptors(ReadThroughInterceptor)
class WhatController {
  constructor(private readonly counter: Counter) {}

  @Get('get')
  @ReadThrough()
  async get(): Promise<{ n: number }> {
    return { n: this.counter.hit('get') };
  }

  @Post('post')
  @ReadThrough()
  async post(): Promise<{ n: number }> {
    return { n: this.counter.hit('post') };
  }

  @Get('not-found')
  @HttpCode(404)
  @ReadThrough()
  async notFound(): Promise<{ n: number }> {
    return { n: this.counter.hit('not-found') };
  }

  @Get('not-found-cached')
  @HttpCode(404)
  @ReadThrough(undefined, undefined, { statuses: [200, 404] })
  async notFoundCached(): Promise<{ missing: true; n: number }> {
    return { missing: true, n: this.counter.hit('not-found-cached') };
  }

  @Get('throw-404')
  @ReadThrough(undefined, undefined, { statuses: [200, 404] })
  async throw404(): Promise<never> {
    throw new NotFoundException(`gone ${this.counter.hit('throw-404')}`);
  }

  @Get('throw-500')
  @ReadThrough()
  async throw500(): Promise<never> {
    throw new InternalServerErrorException(`broken ${this.counter.hit('throw-500')}`);
  }

  @Get('crash')
  @ReadThrough()
  async crash(): Promise<never> {
    throw new Error(`crash ${this.counter.hit('crash')}`);
  }

  @Get('file')
  @ReadThrough()
  async file(): Promise<StreamableFile> {
    return new StreamableFile(Buffer.from(`file ${this.counter.hit('file')}`), { type: 'text/plain' });
  }

  @Get('stream')
  @Header('Content-Type', 'text/plain')
  @ReadThrough()
  async stream(): Promise<Readable> {
    const n = this.counter.hit('stream');
    return Readable.from([`stream ${n}`]);
  }

  @Get('bytes')
  @Header('Content-Type', 'application/octet-stream')
  @ReadThrough()
  async bytes(): Promise<Buffer> {
    return Buffer.from(`bytes ${this.counter.hit('bytes')}`);
  }

  @Get('cookie')
  @ReadThrough()
  async cookie(@Res({ passthrough: true }) res: AnyResponse): Promise<{ n: number }> {
    const n = this.counter.hit('cookie');
    if (res.raw !== undefined) res.header('set-cookie', `sid=s${n}; Path=/; HttpOnly`);
    else res.cookie!('sid', `s${n}`);
    return { n };
  }

  @Get('no-store')
  @Header('Cache-Control', 'no-store')
  @ReadThrough()
  async noStore(): Promise<{ n: number }> {
    return { n: this.counter.hit('no-store') };
  }

  @Get('private')
  @Header('Cache-Control', 'private')
  @ReadThrough()
  async private(): Promise<{ n: number }> {
    return { n: this.counter.hit('private') };
  }

  @Get('private-max-age')
  @Header('Cache-Control', 'private, max-age=60')
  @ReadThrough()
  async privateMaxAge(): Promise<{ n: number }> {
    return { n: this.counter.hit('private-max-age') };
  }

  @Get('vary-star')
  @Header('Vary', '*')
  @ReadThrough()
  async varyStar(): Promise<{ n: number }> {
    return { n: this.counter.hit('vary-star') };
  }
}

/** One body of each shape; the cached routes and their uncached twins return the same values. */
const BODIES = {
  object: { id: 7, name: 'Tom', tags: ['a', 'b'], nested: { ok: true, none: null } },
  array: [1, 'two', { three: 3 }, [4]],
  string: 'hello, world',
  number: 42,
  boolean: false,
} as const;

@Controller('shape')
@UseInterceptors(ReadThroughInterceptor)
class ShapeController {
  constructor(private readonly counter: Counter) {}

  @Get('cached/object') @ReadThrough() async cachedObject() {
    this.counter.hit('object');
    return BODIES.object;
  }
  @Get('cached/array') @ReadThrough() async cachedArray() {
    this.counter.hit('array');
    return BODIES.array;
  }
  @Get('cached/string') @ReadThrough() async cachedString() {
    this.counter.hit('string');
    return BODIES.string;
  }
  @Get('cached/number') @ReadThrough() async cachedNumber() {
    this.counter.hit('number');
    return BODIES.number;
  }
  @Get('cached/boolean') @ReadThrough() async cachedBoolean() {
    this.counter.hit('boolean');
    return BODIES.boolean;
  }
  @Get('cached/csv') @Header('Content-Type', 'text/csv; charset=utf-8') @ReadThrough() async cachedCsv() {
    this.counter.hit('csv');
    return 'a,b\n1,2\n';
  }

  @Get('plain/object') async plainObject() {
    return BODIES.object;
  }
  @Get('plain/array') async plainArray() {
    return BODIES.array;
  }
  @Get('plain/string') async plainString() {
    return BODIES.string;
  }
  @Get('plain/number') async plainNumber() {
    return BODIES.number;
  }
  @Get('plain/boolean') async plainBoolean() {
    return BODIES.boolean;
  }
  @Get('plain/csv') @Header('Content-Type', 'text/csv; charset=utf-8') async plainCsv() {
    return 'a,b\n1,2\n';
  }
}

describe.each(PLATFORMS)('HTTP: what is cached on %s', (platform, makeAdapter) => {
  it('GET is cached; HEAD after GET is a HIT answered from the GET entry, without a body', async () => {
    const { http, counter, prefix } = await createApp(platform, makeAdapter(), { controllers: [WhatController] });

    const get = await http().get('/w/get').expect(200);
    expect(get.headers['x-cache']).toBe('MISS');
    const head = await http().head('/w/get').expect(200);
    expect(head.headers['x-cache']).toBe('HIT');
    expect(head.text ?? '').toBe('');
    expect(head.headers['content-type']).toBe(get.headers['content-type']);
    expect(counter.of('get')).toBe(1);
    expect(await storedKeys(redis, prefix)).toHaveLength(1);
  });

  it('HEAD first stores nothing (a HEAD response has no body to record), so the next GET is a MISS that stores the full body', async () => {
    const { http, counter, prefix } = await createApp(platform, makeAdapter(), { controllers: [WhatController] });

    const head = await http().head('/w/get').expect(200);
    expect(head.headers['x-cache']).toBe('MISS');
    expect(await storedKeys(redis, prefix)).toHaveLength(0);
    const get = await http().get('/w/get').expect(200);
    expect(get.headers['x-cache']).toBe('MISS');
    expect(get.body).toEqual({ n: 2 });
    const again = await http().get('/w/get').expect(200);
    expect(again.headers['x-cache']).toBe('HIT');
    expect(again.text).toBe(get.text);
    expect(counter.of('get')).toBe(2);
    expect(await storedKeys(redis, prefix)).toHaveLength(1);
  });

  it('concurrent misses for one URL run the handler once and all get its response', async () => {
    const { http, counter } = await createApp(platform, makeAdapter(), { controllers: [WhatController] });

    const responses = await Promise.all(Array.from({ length: 10 }, () => http().get('/w/get')));
    for (const res of responses) {
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ n: 1 });
      expect(['MISS', 'HIT']).toContain(res.headers['x-cache']);
    }
    expect(counter.of('get')).toBe(1);
  });

  it('every stored entry expires: PTTL is within the route ttl', async () => {
    const { http, prefix } = await createApp(platform, makeAdapter(), { controllers: [WhatController] });

    await http().get('/w/get').expect(200);
    await http().get('/w/not-found-cached').expect(404);
    const keys = await storedKeys(redis, prefix);
    expect(keys).toHaveLength(2);
    for (const key of keys) {
      const pttl = Number(await cli(redis, 'PTTL', key));
      expect(pttl).toBeGreaterThan(0);
      // Module default ttl: 5 minutes.
      expect(pttl).toBeLessThanOrEqual(5 * 60_000);
    }
  });

  it('a POST route with @ReadThrough runs every time and stores nothing', async () => {
    const { http, counter, prefix } = await createApp(platform, makeAdapter(), { controllers: [WhatController] });

    for (let i = 1; i <= 3; i++) {
      const res = await http().post('/w/post').expect(201);
      expect(res.body).toEqual({ n: i });
      expect(res.headers['x-cache']).not.toBe('HIT');
    }
    expect(counter.of('post')).toBe(3);
    expect(await storedKeys(redis, prefix)).toHaveLength(0);
  });

  it('a 404 set with @HttpCode is not stored by default (only 200)', async () => {
    const { http, counter, prefix } = await createApp(platform, makeAdapter(), { controllers: [WhatController] });

    for (let i = 1; i <= 3; i++) {
      const res = await http().get('/w/not-found').expect(404);
      expect(res.body).toEqual({ n: i });
      expect(res.headers['x-cache']).not.toBe('HIT');
    }
    expect(counter.of('not-found')).toBe(3);
    expect(await storedKeys(redis, prefix)).toHaveLength(0);
  });

  it('a route with statuses [200, 404] stores a returned 404 and replays it with its status', async () => {
    const { http, counter, prefix } = await createApp(platform, makeAdapter(), { controllers: [WhatController] });

    const miss = await http().get('/w/not-found-cached').expect(404);
    expect(miss.headers['x-cache']).toBe('MISS');
    const hit = await http().get('/w/not-found-cached').expect(404);
    expect(hit.headers['x-cache']).toBe('HIT');
    expect(hit.text).toBe(miss.text);
    expect(hit.body).toEqual({ missing: true, n: 1 });
    expect(hit.headers['content-type']).toBe(miss.headers['content-type']);
    expect(counter.of('not-found-cached')).toBe(1);
    expect(await storedKeys(redis, prefix)).toHaveLength(1);
  });

  it('a thrown NotFoundException is never stored, even when 404 is an allowed status', async () => {
    const { http, counter, prefix } = await createApp(platform, makeAdapter(), { controllers: [WhatController] });

    for (let i = 1; i <= 3; i++) {
      const res = await http().get('/w/throw-404').expect(404);
      expect(res.body.message).toBe(`gone ${i}`);
      // The cache was asked and missed; the exception filter's response keeps that header.
      expect(res.headers['x-cache']).toBe('MISS');
    }
    expect(counter.of('throw-404')).toBe(3);
    expect(await storedKeys(redis, prefix)).toHaveLength(0);
  });

  it('a thrown 500 (HttpException or plain Error) is never stored', async () => {
    const { http, counter, prefix } = await createApp(platform, makeAdapter(), { controllers: [WhatController] });

    for (let i = 1; i <= 3; i++) {
      const res = await http().get('/w/throw-500').expect(500);
      expect(res.body.message).toBe(`broken ${i}`);
      expect(res.headers['x-cache']).toBe('MISS');
      const crash = await http().get('/w/crash').expect(500);
      expect(crash.headers['x-cache']).toBe('MISS');
    }
    expect(counter.of('throw-500')).toBe(3);
    expect(counter.of('crash')).toBe(3);
    expect(await storedKeys(redis, prefix)).toHaveLength(0);
  });

  it('a StreamableFile is never stored', async () => {
    const { http, counter, prefix } = await createApp(platform, makeAdapter(), { controllers: [WhatController] });

    for (let i = 1; i <= 3; i++) {
      const res = await http().get('/w/file').buffer(true).expect(200);
      expect(Buffer.from(res.text ?? res.body).toString()).toBe(`file ${i}`);
      expect(res.headers['x-cache']).not.toBe('HIT');
    }
    expect(counter.of('file')).toBe(3);
    expect(await storedKeys(redis, prefix)).toHaveLength(0);
  });

  it('a Readable stream result is never stored', async () => {
    const { http, counter, prefix } = await createApp(platform, makeAdapter(), { controllers: [WhatController] });

    for (let i = 1; i <= 3; i++) {
      const res = await http().get('/w/stream');
      expect(res.headers['x-cache']).not.toBe('HIT');
    }
    expect(counter.of('stream')).toBe(3);
    expect(await storedKeys(redis, prefix)).toHaveLength(0);
  });

  it('a raw Buffer result is never stored', async () => {
    const { http, counter, prefix } = await createApp(platform, makeAdapter(), { controllers: [WhatController] });

    for (let i = 1; i <= 3; i++) {
      // How the body is written is the platform's business (Nest's Express adapter sends a
      // Buffer as JSON); what matters here is that it is never stored.
      const res = await http().get('/w/bytes').expect(200);
      expect(res.headers['x-cache']).not.toBe('HIT');
    }
    expect(counter.of('bytes')).toBe(3);
    expect(await storedKeys(redis, prefix)).toHaveLength(0);
  });

  it('a response that sets a cookie is never stored, and every request gets its own cookie', async () => {
    const { http, counter, prefix } = await createApp(platform, makeAdapter(), { controllers: [WhatController] });

    for (let i = 1; i <= 3; i++) {
      const res = await http().get('/w/cookie').expect(200);
      expect(res.body).toEqual({ n: i });
      expect(String(res.headers['set-cookie'])).toContain(`sid=s${i}`);
      expect(res.headers['x-cache']).not.toBe('HIT');
    }
    expect(counter.of('cookie')).toBe(3);
    expect(await storedKeys(redis, prefix)).toHaveLength(0);
  });

  it.each([
    ['Cache-Control: no-store', '/w/no-store', 'no-store'],
    ['Cache-Control: private', '/w/private', 'private'],
    ['Cache-Control: private, max-age=60', '/w/private-max-age', 'private-max-age'],
    ['Vary: *', '/w/vary-star', 'vary-star'],
  ])('a response marked %s is never stored', async (_label, path, name) => {
    const { http, counter, prefix } = await createApp(platform, makeAdapter(), { controllers: [WhatController] });

    for (let i = 1; i <= 3; i++) {
      const res = await http().get(path).expect(200);
      expect(res.body).toEqual({ n: i });
      expect(res.headers['x-cache']).not.toBe('HIT');
    }
    expect(counter.of(name)).toBe(3);
    expect(await storedKeys(redis, prefix)).toHaveLength(0);
  });

  it.each(['object', 'array', 'string', 'number', 'boolean', 'csv'])(
    'a hit reproduces the miss and the uncached route: %s body bytes, status and Content-Type',
    async (shape) => {
      const { http, counter } = await createApp(platform, makeAdapter(), { controllers: [ShapeController] });

      const plain = await http().get(`/shape/plain/${shape}`);
      const miss = await http().get(`/shape/cached/${shape}`);
      const hit = await http().get(`/shape/cached/${shape}`);
      expect(miss.headers['x-cache']).toBe('MISS');
      expect(hit.headers['x-cache']).toBe('HIT');
      expect(counter.of(shape)).toBe(1);

      for (const res of [miss, hit]) {
        expect(res.status).toBe(plain.status);
        expect(res.text).toBe(plain.text);
        expect(res.headers['content-type']).toBe(plain.headers['content-type']);
        expect(res.headers['content-length']).toBe(plain.headers['content-length']);
      }
      expect(plain.status).toBe(200);
      expect(typeof plain.text).toBe('string');
      expect(plain.text.length).toBeGreaterThan(0);
    },
  );
});

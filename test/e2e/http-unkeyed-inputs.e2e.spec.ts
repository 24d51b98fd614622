/**
 * Issue 10, "Nothing unkeyed changes the stored body": with a trusted proxy, `X-Forwarded-For`
 * cannot put an address into a body served to others; `X-Real-IP`, `True-Client-IP`,
 * `X-HTTP-Method-Override`, `X-Original-Host` and any `X-Forwarded-*` name (a prefix rule) are
 * hidden from a handler whose response is stored; and a GET carrying a request body bypasses.
 */
import 'reflect-metadata';
import { Controller, Get, Req, UseInterceptors } from '@nestjs/common';
import type { AbstractHttpAdapter } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { ReadThrough, ReadThroughInterceptor } from '../../lib/index.js';
import { storedKeys } from '../helpers/redis-cli.helper.js';
import { useTestRedis } from '../helpers/test-redis.js';
import { Counter, PLATFORMS, occurrences, trackHttpApps, type Platform } from './fixtures/http-app.js';
import { storedText } from './fixtures/redis-contents.js';

const redis = useTestRedis();
const createApp = trackHttpApps(redis);

type Req = { headers: Record<string, string | undefined>; ip?: string; body?: { q?: string } };

const POISON = 'poison-7e1';
const ECHOED = ['x-real-ip', 'true-client-ip', 'x-http-method-override', 'x-original-host', 'x-forwarded-anything-new'];

@Controller('u')
@UseInterceptors(ReadThroughInterceptor)
class UnkeyedController {
  constructor(private readonly counter: Counter) {}

  @Get('ip')
  @ReadThrough('ip')
  async ip(@Req() req: Req): Promise<object> {
    return { ip: req.ip ?? null, n: this.counter.hit('ip') };
  }

  /** The same handler without the cache: shows the probe reaches the handler at all. */
  @Get('ip-uncached')
  async ipUncached(@Req() req: Req): Promise<object> {
    return { ip: req.ip ?? null };
  }

  @Get('echo')
  @ReadThrough('echo')
  async echo(@Req() req: Req): Promise<object> {
    this.counter.hit('echo');
    return Object.fromEntries(ECHOED.map((name) => [name, req.headers[name] ?? null]));
  }

  @Get('echo-uncached')
  async echoUncached(@Req() req: Req): Promise<object> {
    return Object.fromEntries(ECHOED.map((name) => [name, req.headers[name] ?? null]));
  }

  @Get('search')
  @ReadThrough('search')
  async search(@Req() req: Req): Promise<object> {
    return { q: req.body?.q ?? null, n: this.counter.hit('search') };
  }
}

/** Express gets `trust proxy` in beforeInit; Fastify takes `trustProxy` in its adapter's options. */
function trustingProxy(platform: Platform, makeAdapter: () => AbstractHttpAdapter) {
  return {
    adapter: platform === 'fastify' ? new FastifyAdapter({ trustProxy: true }) : makeAdapter(),
    beforeInit: (app: { getHttpAdapter(): { getInstance(): { set?(name: string, value: unknown): unknown } } }) => {
      if (platform === 'express') app.getHttpAdapter().getInstance().set!('trust proxy', true);
    },
  };
}

/**
 * Express parses a JSON body on GET by itself; Fastify never parses a GET body, so there a
 * preValidation hook reads it into `request.body`, as a body-reading plugin would.
 */
function readGetBodies(platform: Platform) {
  return (app: { getHttpAdapter(): { getInstance(): unknown } }): void => {
    if (platform !== 'fastify') return;
    type Request = {
      method: string;
      headers: Record<string, string | undefined>;
      raw: AsyncIterable<Buffer>;
      body?: unknown;
    };
    const fastify = app.getHttpAdapter().getInstance() as {
      addHook(name: string, hook: (request: Request) => Promise<void>): void;
    };
    fastify.addHook('preValidation', async (request) => {
      if (request.method !== 'GET' || !request.headers['content-length']) return;
      const chunks: Buffer[] = [];
      for await (const chunk of request.raw) chunks.push(chunk);
      request.body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    });
  };
}

describe.each(PLATFORMS)('HTTP: nothing unkeyed changes the stored body, on %s', (platform, makeAdapter) => {
  it('control: with a trusted proxy, an uncached route does report X-Forwarded-For as req.ip (the probe is sensitive)', async () => {
    const { adapter, beforeInit } = trustingProxy(platform, makeAdapter);
    const { http } = await createApp(platform, adapter, { controllers: [UnkeyedController], beforeInit });

    const res = await http().get('/u/ip-uncached').set('X-Forwarded-For', '6.6.6.6').expect(200);
    expect(res.body.ip).toBe('6.6.6.6');
  });

  it('with a trusted proxy, X-Forwarded-For: 6.6.6.6 on the miss: a clean request and Redis never see 6.6.6.6', async () => {
    const { adapter, beforeInit } = trustingProxy(platform, makeAdapter);
    const { http, counter, prefix } = await createApp(platform, adapter, {
      controllers: [UnkeyedController],
      beforeInit,
    });

    const attack = await http().get('/u/ip').set('X-Forwarded-For', '6.6.6.6').expect(200);
    expect(attack.headers['x-cache']).toBe('MISS');
    const clean = await http().get('/u/ip').expect(200);
    expect(clean.headers['x-cache']).toBe('HIT');
    expect(occurrences(clean.text, '6.6.6.6')).toBe(0);
    expect(occurrences(await storedText(redis, prefix), '6.6.6.6')).toBe(0);
    expect(counter.of('ip')).toBe(1);
  });

  it.each(ECHOED)('control: an uncached route does echo %s (the probe is sensitive)', async (name) => {
    const { http } = await createApp(platform, makeAdapter(), { controllers: [UnkeyedController] });

    const res = await http().get('/u/echo-uncached').set(name, POISON).expect(200);
    expect(res.body[name]).toBe(POISON);
  });

  it.each(ECHOED)('%s echoed by the handler: a clean request and Redis never see it', async (name) => {
    const { http, counter, prefix } = await createApp(platform, makeAdapter(), { controllers: [UnkeyedController] });

    const attack = await http().get('/u/echo').set(name, POISON).expect(200);
    expect(attack.headers['x-cache']).toBe('MISS');
    const clean = await http().get('/u/echo').expect(200);
    expect(clean.headers['x-cache']).toBe('HIT');
    expect(occurrences(clean.text, POISON)).toBe(0);
    expect(occurrences(await storedText(redis, prefix), POISON)).toBe(0);
    expect(counter.of('echo')).toBe(1);
  });

  it("a GET with a request body (read by a preValidation hook on Fastify, which skips GET bodies): bob never receives alice's value", async () => {
    const { http } = await createApp(platform, makeAdapter(), {
      controllers: [UnkeyedController],
      beforeInit: readGetBodies(platform),
    });

    await http().get('/u/search').set('Content-Type', 'application/json').send('{"q":"alice"}');
    const bob = await http().get('/u/search').set('Content-Type', 'application/json').send('{"q":"bob"}').expect(200);
    expect(bob.body.q).toBe('bob');
    expect(occurrences(bob.text, 'alice')).toBe(0);
  });
});

describe('HTTP: a GET with a JSON body, Express only (Express parses JSON bodies on GET)', () => {
  const [platform, makeAdapter] = PLATFORMS[0];

  it('each GET with a body bypasses and is answered from its own body; nothing is stored', async () => {
    const { http, counter, prefix } = await createApp(platform, makeAdapter(), { controllers: [UnkeyedController] });

    const alice = await http()
      .get('/u/search')
      .set('Content-Type', 'application/json')
      .send('{"q":"alice"}')
      .expect(200);
    expect(alice.body).toEqual({ q: 'alice', n: 1 });
    const bob = await http().get('/u/search').set('Content-Type', 'application/json').send('{"q":"bob"}').expect(200);
    expect(bob.body).toEqual({ q: 'bob', n: 2 });
    expect([alice.headers['x-cache'], bob.headers['x-cache']]).toEqual(['BYPASS', 'BYPASS']);
    expect(counter.of('search')).toBe(2);
    expect(await storedKeys(redis, prefix)).toHaveLength(0);
  });

  it('control: the same route without a body is cached', async () => {
    const { http } = await createApp(platform, makeAdapter(), { controllers: [UnkeyedController] });

    expect((await http().get('/u/search').expect(200)).headers['x-cache']).toBe('MISS');
    const hit = await http().get('/u/search').expect(200);
    expect(hit.headers['x-cache']).toBe('HIT');
    expect(hit.body).toEqual({ q: null, n: 1 });
  });
});

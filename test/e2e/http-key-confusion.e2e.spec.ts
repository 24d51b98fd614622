/**
 * Issue 4, "Safety" (collision-free keys, no unkeyed input): two requests that the handler answers
 * differently must never share a cache entry. Each test sends a crafted request first, then an
 * ordinary one, and checks that the ordinary one gets the body its own request produces.
 */
import 'reflect-metadata';
import type { Server } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Controller, Get, Query, Req, UseInterceptors, type Type } from '@nestjs/common';
import { ReadThrough, ReadThroughInterceptor } from '../../lib/index.js';
import { storedKeys } from '../helpers/redis-cli.helper.js';
import { useTestRedis } from '../helpers/test-redis.js';
import { Counter, PLATFORMS, occurrences, trackHttpApps, type Platform } from './fixtures/http-app.js';

const redis = useTestRedis();
const createApp = trackHttpApps(redis);

type UrlReq = { url: string; originalUrl?: string };

function requestTarget(req: UrlReq): string {
  // Express keeps the original request-target in originalUrl, Fastify in url.
  return req.originalUrl ?? req.url;
}

@Controller('pages')
@UseInterceptors(ReadThroughInterceptor)
class PagesController {
  constructor(private readonly counter: Counter) {}

  @Get('list')
  @ReadThrough('list:{query.page}')
  async list(@Query('page') page: unknown): Promise<{ page: unknown; n: number }> {
    return { page, n: this.counter.hit('list') };
  }

  /** Builds a self link from the request target, as pagination responses often do. */
  @Get('self')
  @ReadThrough()
  async self(@Req() req: UrlReq): Promise<{ self: string; n: number }> {
    return { self: requestTarget(req), n: this.counter.hit('self') };
  }
}

/** A catch-all route (SPA fallback, CMS pages): Express 5 needs a named wildcard, Fastify `*`. */
function catchAllController(path: string): Type<unknown> {
  @Controller()
  @UseInterceptors(ReadThroughInterceptor)
  class CatchAllController {
    constructor(private readonly counter: Counter) {}

    @Get(path)
    @ReadThrough()
    async page(@Req() req: UrlReq): Promise<{ page: string; n: number }> {
      return { page: requestTarget(req), n: this.counter.hit('page') };
    }
  }
  return CatchAllController;
}

const CATCH_ALL: Record<Platform, Type<unknown>> = {
  express: catchAllController('*path'),
  fastify: catchAllController('*'),
};

/** Sends one raw HTTP/1.1 request (supertest cannot send an absolute-form request-target). */
function rawGet(port: number, target: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`);
    });
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('error', reject);
    socket.on('end', () => {
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]);
      resolve({ status, body: text.slice(text.indexOf('\r\n\r\n') + 4) });
    });
  });
}

describe.each(PLATFORMS)('HTTP key confusion on %s', (platform, makeAdapter) => {
  it('{query.page}: a repeated parameter and a string that looks like its encoding get separate entries', async () => {
    const { http, counter, prefix } = await createApp(platform, makeAdapter(), { controllers: [PagesController] });

    const repeated = await http().get('/pages/list?page=1&page=2').expect(200);
    expect(repeated.body).toEqual({ page: ['1', '2'], n: 1 });

    const lookalike = await http()
      .get(`/pages/list?page=${encodeURIComponent('["1","2"]')}`)
      .expect(200);
    expect(lookalike.headers['x-cache']).toBe('MISS');
    expect(lookalike.body).toEqual({ page: '["1","2"]', n: 2 });
    expect(counter.of('list')).toBe(2);
    expect(await storedKeys(redis, prefix)).toHaveLength(2);
  });

  it('default key: a path starting with "//" does not share the entry of another path', async () => {
    const { http, counter } = await createApp(platform, makeAdapter(), { controllers: [CATCH_ALL[platform]] });

    const crafted = await http().get('//files/x').expect(200);
    expect(crafted.body).toEqual({ page: '//files/x', n: 1 });

    const ordinary = await http().get('/x').expect(200);
    expect(ordinary.headers['x-cache']).toBe('MISS');
    expect(ordinary.body).toEqual({ page: '/x', n: 2 });
    expect(counter.of('page')).toBe(2);
  });

  it('default key: an absolute-form request-target cannot poison the entry of the plain path', async () => {
    const { app, http, counter } = await createApp(platform, makeAdapter(), { controllers: [PagesController] });
    const server = app.getHttpServer() as Server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const { port } = server.address() as AddressInfo;

    const attack = await rawGet(port, 'http://evil.example/pages/self');
    expect(attack.status).toBe(200);

    const clean = await http().get('/pages/self').expect(200);
    expect(occurrences(clean.text, 'evil')).toBe(0);
    expect(clean.body.self).toBe('/pages/self');
    expect(counter.of('self')).toBe(2);
  });
});

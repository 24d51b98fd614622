/**
 * Issue 10, "Stored entries are untrusted input": an HTTP entry planted in Redis with an invalid
 * status, a CR/LF in a header value, a bad header name, non-array headers, an undecodable body
 * or a non-string body is refused on read: the request gets the handler's own response (200,
 * MISS), never a 500 or an unasked 304, and the planted entry is overwritten. A well-formed
 * planted entry is served, which shows the planting helper writes the real key and format.
 */
import 'reflect-metadata';
import { Controller, Get, Param, UseInterceptors } from '@nestjs/common';
import { ReadThrough, ReadThroughInterceptor } from '../../lib/index.js';
import { cli, storedKeys } from '../helpers/redis-cli.helper.js';
import { useTestRedis } from '../helpers/test-redis.js';
import { Counter, PLATFORMS, occurrences, trackHttpApps, type HttpApp } from './fixtures/http-app.js';

const redis = useTestRedis();
const createApp = trackHttpApps(redis);

/** A string that only a planted entry contains. */
const PLANTED = 'planted-entry-5c2';
const JSON_TYPE = 'application/json; charset=utf-8';

@Controller('planted')
@UseInterceptors(ReadThroughInterceptor)
class PlantedController {
  constructor(private readonly counter: Counter) {}

  @Get(':id')
  @ReadThrough('planted:{params.id}')
  async get(@Param('id') id: string): Promise<object> {
    return { id, fresh: true, n: this.counter.hit(id) };
  }
}

/** The key the route stores `id` under. */
function keyOf(app: HttpApp, id: string): string {
  return `${app.prefix}:default:planted:${id}`;
}

/**
 * Writes `payload` (an HTTP entry's fields) at the route's key inside the library's envelope,
 * `\x1eRT3:0:http:<createdAt>:<freshUntil>:0\n<head JSON>\n<body>`, fresh for another minute. A
 * body that is not a string stays in the head, where the reader must refuse it.
 */
async function plant(app: HttpApp, id: string, payload: unknown): Promise<void> {
  const now = Date.now();
  const { body, ...head } = payload as Record<string, unknown>;
  const rest = typeof body === 'string' ? `${JSON.stringify(head)}\n${body}` : `${JSON.stringify({ ...head, body })}\n`;
  const value = `\x1eRT3:0:http:${now}:${now + 60_000}:0\n${rest}`;
  expect(await cli(redis, 'SET', keyOf(app, id), value, 'PX', '60000')).toBe('OK');
}

/** A well-formed entry; each bad case changes one field of it. */
function goodEntry(): Record<string, unknown> {
  return {
    status: 200,
    headers: [
      ['content-type', JSON_TYPE],
      ['etag', 'W/"planted"'],
    ],
    body: JSON.stringify({ planted: PLANTED }),
    encoding: 'utf8',
  };
}

const BAD_ENTRIES: [string, Record<string, unknown>][] = [
  ['status 1000', { ...goodEntry(), status: 1000 }],
  ['status 99', { ...goodEntry(), status: 99 }],
  ['status 304', { ...goodEntry(), status: 304 }],
  ['status 500', { ...goodEntry(), status: 500 }],
  [
    'a content-type containing CR LF',
    { ...goodEntry(), headers: [['content-type', `${JSON_TYPE}\r\nX-Injected: ${PLANTED}`]] },
  ],
  [
    'an etag containing a newline',
    {
      ...goodEntry(),
      headers: [
        ['content-type', JSON_TYPE],
        ['etag', 'W/"a\nb"'],
      ],
    },
  ],
  [
    'a header name with a space',
    {
      ...goodEntry(),
      headers: [
        ['content-type', JSON_TYPE],
        ['x bad', PLANTED],
      ],
    },
  ],
  ['headers that are not an array', { ...goodEntry(), headers: { 'content-type': JSON_TYPE } }],
  ['encoding base64 with invalid base64 characters', { ...goodEntry(), body: `!!${PLANTED}!!*`, encoding: 'base64' }],
  ['a body that is not a string', { ...goodEntry(), body: { planted: PLANTED } }],
];

describe.each(PLATFORMS)('HTTP: stored entries are untrusted input, on %s', (platform, makeAdapter) => {
  it('control: the route stores its response under <prefix>:default:planted:<id>', async () => {
    const app = await createApp(platform, makeAdapter(), { controllers: [PlantedController] });

    expect((await app.http().get('/planted/1').expect(200)).headers['x-cache']).toBe('MISS');
    expect(await storedKeys(redis, app.prefix)).toEqual([keyOf(app, '1')]);
  });

  it('control: a well-formed planted entry is served as a HIT with the planted body, without running the handler', async () => {
    const app = await createApp(platform, makeAdapter(), { controllers: [PlantedController] });
    await plant(app, '1', goodEntry());

    const res = await app.http().get('/planted/1').expect(200);
    expect(res.headers['x-cache']).toBe('HIT');
    expect(res.headers['content-type']).toBe(JSON_TYPE);
    expect(res.text).toBe(JSON.stringify({ planted: PLANTED }));
    expect(app.counter.of('1')).toBe(0);
  });

  it.each(BAD_ENTRIES)(
    'a planted entry with %s is refused: the handler answers 200 (MISS), and the entry is overwritten',
    async (_label, entry) => {
      const app = await createApp(platform, makeAdapter(), { controllers: [PlantedController] });
      // The same entry without the bad field is served: only that field makes the difference.
      await plant(app, 'good', goodEntry());
      expect((await app.http().get('/planted/good').expect(200)).headers['x-cache']).toBe('HIT');
      await plant(app, '1', entry);

      const first = await app.http().get('/planted/1');
      expect(first.status).toBe(200);
      expect(first.headers['x-cache']).toBe('MISS');
      expect(first.body).toEqual({ id: '1', fresh: true, n: 1 });
      expect(occurrences(JSON.stringify(first.headers), PLANTED)).toBe(0);
      expect(occurrences(await cli(redis, 'GET', keyOf(app, '1')), PLANTED)).toBe(0);

      const second = await app.http().get('/planted/1');
      expect(second.status).toBe(200);
      expect(second.headers['x-cache']).toBe('HIT');
      expect(second.text).toBe(first.text);
      expect(app.counter.of('1')).toBe(1);
    },
  );
});

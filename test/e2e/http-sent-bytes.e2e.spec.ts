/**
 * Issue 10, "Store what was sent", on both platforms: a cached route stores the status, headers
 * and body bytes the platform sent, after every interceptor and serializer, and a hit sends
 * exactly those bytes: a global `{ data }` TransformInterceptor, an inner interceptor,
 * `ClassSerializerInterceptor` (`@Exclude()` never reaches Redis), headers set through
 * `@Res({ passthrough: true })`; a route using `@Res()` without passthrough is refused at bootstrap.
 */
import 'reflect-metadata';
import { ClassSerializerInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { InvalidRedisCacheOptionsError } from '../../lib/index.js';
import { rejectionOf } from '../helpers/polling.helper.js';
import { useTestRedis } from '../helpers/test-redis.js';
import { PLATFORMS, occurrences, trackHttpApps } from './fixtures/http-app.js';
import { storedText } from './fixtures/redis-contents.js';
import {
  BytesController,
  PASSWORD,
  RawResponseController,
  TransformInterceptor,
  missThenHit,
} from './fixtures/sent-bytes-app.js';

const redis = useTestRedis();
const createApp = trackHttpApps(redis);

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

/**
 * Issue 10, "Store what was sent", for what only one platform has: a Fastify response schema
 * that drops a field (the hit lacks it, Redis never holds it), Express `json spaces` and
 * `json replacer` (the hit sends the miss's bytes), and a dynamic `@Redirect`: Fastify's is
 * cached and replayed to the same target; Express's `res.redirect` sends `Vary: Accept` (its body
 * depends on Accept), so it falls under the Vary rule and is not stored.
 */
import 'reflect-metadata';
import { storedKeys } from '../helpers/redis-cli.helper.js';
import { useTestRedis } from '../helpers/test-redis.js';
import { PLATFORMS, occurrences, trackHttpApps } from './fixtures/http-app.js';
import { storedText } from './fixtures/redis-contents.js';
import {
  BytesController,
  PASSWORD_HASH,
  REPLACED_SECRET,
  SchemaController,
  missThenHit,
} from './fixtures/sent-bytes-app.js';

const redis = useTestRedis();
const createApp = trackHttpApps(redis);

describe('HTTP: Fastify only (response schemas are a Fastify serializer; Fastify redirects send no Vary)', () => {
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

  it('a dynamic @Redirect: the hit redirects to the same target with the same status, without running the handler', async () => {
    const { http, counter } = await createApp(platform, makeAdapter(), { controllers: [BytesController] });

    const miss = await http().get('/bytes/go').redirects(0).expect(302);
    expect(miss.headers.location).toBe('/elsewhere/1');
    expect(miss.headers['x-cache']).toBe('MISS');
    const hit = await http().get('/bytes/go').redirects(0);
    expect(hit.status).toBe(302);
    expect(hit.headers.location).toBe('/elsewhere/1');
    expect(hit.headers['x-cache']).toBe('HIT');
    expect(hit.text).toBe(miss.text);
    expect(counter.of('go')).toBe(1);
  });
});

describe('HTTP: Express only (json spaces and json replacer are Express settings; res.redirect adds Vary: Accept)', () => {
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
        void nest
          .getHttpAdapter()
          .getInstance()
          .set('json replacer', (key: string, value: unknown) => (key === 'secret' ? undefined : value)),
    });

    const { miss } = await missThenHit(app, '/bytes/replaced');
    expect(JSON.parse(miss)).toEqual({ id: '1', n: 1 });
    expect(occurrences(await storedText(redis, app.prefix), REPLACED_SECRET)).toBe(0);
    expect(app.counter.of('replaced')).toBe(1);
  });

  it("a dynamic @Redirect: Express's res.redirect sends Vary: Accept, so it is not stored and each request gets its own handler's target", async () => {
    const { http, counter, prefix } = await createApp(platform, makeAdapter(), { controllers: [BytesController] });

    for (const n of [1, 2]) {
      const res = await http().get('/bytes/go').redirects(0).expect(302);
      expect(res.headers.location).toBe(`/elsewhere/${n}`);
      expect(String(res.headers.vary).toLowerCase()).toContain('accept');
      expect(['MISS', 'BYPASS']).toContain(res.headers['x-cache']);
    }
    expect(counter.of('go')).toBe(2);
    expect(await storedKeys(redis, prefix)).toHaveLength(0);
  });
});

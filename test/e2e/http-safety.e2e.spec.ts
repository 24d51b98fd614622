/**
 * Issue 4, "Safety": credentials bypass the cache unless the key names the principal or the
 * route is `shared`; cached bodies never cross users; unkeyed headers can never poison a stored
 * body; keyed headers are listed in `Vary`; a request's own `Cache-Control` is ignored unless
 * `respectRequestCacheControl` is set.
 */
import 'reflect-metadata';
import { Controller, Get, Req, UseGuards, UseInterceptors } from '@nestjs/common';
import { ReadThrough, ReadThroughInterceptor } from '../../lib/index.js';
import { storedKeys } from '../helpers/redis-cli.helper.js';
import { useTestRedis } from '../helpers/test-redis.js';
import { BearerGuard, Counter, PLATFORMS, occurrences, trackHttpApps, type FakeUser } from './fixtures/http-app.js';

const redis = useTestRedis();
const createApp = trackHttpApps(redis);

type Req = { headers: Record<string, string | undefined>; user?: FakeUser; hostname?: string };

@Controller('safe')
@UseGuards(BearerGuard)
@UseInterceptors(ReadThroughInterceptor)
class SafetyController {
  constructor(private readonly counter: Counter) {}

  /** Keyed without a user part: credentialed requests must bypass. */
  @Get('public')
  @ReadThrough()
  async public(@Req() req: Req): Promise<{ n: number; user: string | null }> {
    return { n: this.counter.hit('public'), user: req.user?.id ?? null };
  }

  @Get('profile')
  @ReadThrough('profile:{user.id}')
  async profile(@Req() req: Req): Promise<{ user: string; secret: string; n: number }> {
    const user = req.user!.id;
    return { user, secret: `${user}-secret`, n: this.counter.hit(`profile:${user}`) };
  }

  @Get('by-token')
  @ReadThrough('token:{headers.authorization}')
  async byToken(@Req() req: Req): Promise<{ user: string | null; n: number }> {
    return { user: req.user?.id ?? null, n: this.counter.hit('by-token') };
  }

  @Get('shared')
  @ReadThrough(undefined, undefined, { shared: true })
  async shared(): Promise<{ catalogue: string; n: number }> {
    return { catalogue: 'same for everyone', n: this.counter.hit('shared') };
  }

  @Get('reflect')
  @ReadThrough()
  async reflect(@Req() req: Req): Promise<Record<string, string | null>> {
    this.counter.hit('reflect');
    return {
      host: req.headers.host ?? null,
      // Express and Fastify both derive `hostname` from the Host header.
      hostname: req.hostname ?? null,
      xfh: req.headers['x-forwarded-host'] ?? null,
      xfp: req.headers['x-forwarded-proto'] ?? null,
      lang: req.headers['accept-language'] ?? null,
    };
  }

  /** Reflects every header of the default `http.unkeyedHeaders` list. */
  @Get('reflect-all')
  @ReadThrough()
  async reflectAll(@Req() req: Req): Promise<Record<string, string | null>> {
    this.counter.hit('reflect-all');
    return Object.fromEntries(UNKEYED_BY_DEFAULT.map((name) => [name, req.headers[name] ?? null]));
  }

  @Get('localized')
  @ReadThrough('localized:{headers.accept-language}')
  async localized(@Req() req: Req): Promise<{ lang: string | null; n: number }> {
    return { lang: req.headers['accept-language'] ?? null, n: this.counter.hit('localized') };
  }
}

/** No guard: nothing ever sets `req.user`. */
@Controller('unguarded')
@UseInterceptors(ReadThroughInterceptor)
class UnguardedController {
  constructor(private readonly counter: Counter) {}

  @Get('me')
  @ReadThrough('me:{user.id}')
  async me(): Promise<{ n: number }> {
    return { n: this.counter.hit('me') };
  }
}

/** The documented default of `http.unkeyedHeaders`. */
const UNKEYED_BY_DEFAULT = [
  'host',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-forwarded-port',
  'x-forwarded-prefix',
  'x-forwarded-server',
  'x-forwarded-scheme',
  'forwarded',
  'x-host',
  'x-original-host',
  'x-original-url',
  'x-rewrite-url',
  'accept-language',
];

const EVIL_HEADERS: [string, Record<string, string>][] = [
  [
    'all at once',
    {
      'X-Forwarded-Host': 'evil.example',
      'X-Forwarded-Proto': 'evil',
      Host: 'evil.example',
      'Accept-Language': 'xx-EVIL',
    },
  ],
  ['X-Forwarded-Host', { 'X-Forwarded-Host': 'evil.example' }],
  ['X-Forwarded-Proto', { 'X-Forwarded-Proto': 'evil' }],
  ['Host', { Host: 'evil.example' }],
  ['Accept-Language', { 'Accept-Language': 'xx-EVIL' }],
];

describe.each(PLATFORMS)('HTTP safety on %s', (platform, makeAdapter) => {
  it('requests with Authorization or Cookie bypass a route keyed without a user part', async () => {
    const { http, counter, prefix } = await createApp(platform, makeAdapter(), { controllers: [SafetyController] });

    const anonymous = await http().get('/safe/public').expect(200);
    expect(anonymous.headers['x-cache']).toBe('MISS');
    expect(anonymous.body).toEqual({ n: 1, user: null });

    // Neither answered from the anonymous entry nor stored.
    const withAuth = await http().get('/safe/public').set('Authorization', 'Bearer alice').expect(200);
    expect(withAuth.headers['x-cache']).toBe('BYPASS');
    expect(withAuth.body).toEqual({ n: 2, user: 'alice' });
    const withCookie = await http().get('/safe/public').set('Cookie', 'sid=bob-session').expect(200);
    expect(withCookie.headers['x-cache']).toBe('BYPASS');
    expect(withCookie.body).toEqual({ n: 3, user: null });

    const again = await http().get('/safe/public').expect(200);
    expect(again.headers['x-cache']).toBe('HIT');
    expect(again.body).toEqual({ n: 1, user: null });
    expect(counter.of('public')).toBe(3);
    expect(await storedKeys(redis, prefix)).toHaveLength(1);
  });

  it("a route keyed {user.id}: alice and bob alternating 20 times each never get the other one's body", async () => {
    const { http, counter, prefix } = await createApp(platform, makeAdapter(), { controllers: [SafetyController] });

    const statuses: string[] = [];
    for (let i = 0; i < 20; i++) {
      for (const [me, other] of [
        ['alice', 'bob'],
        ['bob', 'alice'],
      ]) {
        const res = await http().get('/safe/profile').set('Authorization', `Bearer ${me}`).expect(200);
        statuses.push(String(res.headers['x-cache']));
        expect(res.body).toEqual({ user: me, secret: `${me}-secret`, n: 1 });
        expect(occurrences(res.text, other)).toBe(0);
        expect(res.headers['cache-control']).toMatch(/^private\b/);
      }
    }
    expect(statuses.filter((s) => s === 'MISS')).toHaveLength(2);
    expect(statuses.filter((s) => s === 'HIT')).toHaveLength(38);
    expect(counter.of('profile:alice')).toBe(1);
    expect(counter.of('profile:bob')).toBe(1);
    expect(await storedKeys(redis, prefix)).toHaveLength(2);
  });

  it('a route keyed {headers.authorization} caches per token and never stores the token itself', async () => {
    const { http, counter, prefix } = await createApp(platform, makeAdapter(), { controllers: [SafetyController] });

    for (let i = 0; i < 3; i++) {
      for (const user of ['alice', 'bob']) {
        const res = await http().get('/safe/by-token').set('Authorization', `Bearer ${user}`).expect(200);
        expect(res.headers['x-cache']).toBe(i === 0 ? 'MISS' : 'HIT');
        expect(res.body.user).toBe(user);
      }
    }
    expect(counter.of('by-token')).toBe(2);
    const keys = await storedKeys(redis, prefix);
    expect(keys).toHaveLength(2);
    for (const key of keys) {
      expect(occurrences(key, 'Bearer')).toBe(0);
      expect(occurrences(key, 'alice')).toBe(0);
      expect(occurrences(key, 'bob')).toBe(0);
    }
  });

  it('a route with shared: true caches requests that carry credentials', async () => {
    const { http, counter, prefix } = await createApp(platform, makeAdapter(), { controllers: [SafetyController] });

    const alice = await http().get('/safe/shared').set('Authorization', 'Bearer alice').expect(200);
    expect(alice.headers['x-cache']).toBe('MISS');
    const bob = await http().get('/safe/shared').set('Cookie', 'sid=bob').expect(200);
    expect(bob.headers['x-cache']).toBe('HIT');
    const anonymous = await http().get('/safe/shared').expect(200);
    expect(anonymous.headers['x-cache']).toBe('HIT');
    for (const res of [alice, bob, anonymous]) expect(res.body).toEqual({ catalogue: 'same for everyone', n: 1 });
    expect(counter.of('shared')).toBe(1);
    expect(await storedKeys(redis, prefix)).toHaveLength(1);
  });

  it('guards still run on hits: a refused token gets 403 although the URL is cached', async () => {
    const { http, counter } = await createApp(platform, makeAdapter(), { controllers: [SafetyController] });

    await http().get('/safe/shared').set('Authorization', 'Bearer alice').expect(200);
    expect((await http().get('/safe/shared').expect(200)).headers['x-cache']).toBe('HIT');
    const refused = await http().get('/safe/shared').set('Authorization', 'Bearer revoked').expect(403);
    expect(occurrences(refused.text, 'same for everyone')).toBe(0);
    expect(counter.of('shared')).toBe(1);
  });

  it('a {user.id} route where no guard sets a user bypasses requests with Authorization', async () => {
    const { http, counter, prefix } = await createApp(platform, makeAdapter(), { controllers: [UnguardedController] });

    for (let i = 1; i <= 3; i++) {
      const user = i % 2 === 0 ? 'alice' : 'bob';
      const res = await http().get('/unguarded/me').set('Authorization', `Bearer ${user}`).expect(200);
      expect(res.headers['x-cache']).toBe('BYPASS');
      expect(res.body).toEqual({ n: i });
    }
    expect(counter.of('me')).toBe(3);
    expect(await storedKeys(redis, prefix)).toHaveLength(0);
  });

  it.each(EVIL_HEADERS)(
    'cache poisoning through unkeyed headers (%s): a clean request never sees them',
    async (_label, evil) => {
      const { http, counter, prefix } = await createApp(platform, makeAdapter(), { controllers: [SafetyController] });

      const attack = await http().get('/safe/reflect').set(evil).expect(200);
      expect(attack.headers['x-cache']).toBe('MISS');
      expect(await storedKeys(redis, prefix)).toHaveLength(1);

      const clean = await http().get('/safe/reflect').expect(200);
      expect(clean.headers['x-cache']).toBe('HIT');
      expect(occurrences(clean.text, 'evil')).toBe(0);
      expect(counter.of('reflect')).toBe(1);
    },
  );

  it('cache poisoning: every header of the default unkeyed list is hidden from a stored response', async () => {
    const { http, counter } = await createApp(platform, makeAdapter(), { controllers: [SafetyController] });

    const evil: Record<string, string> = {};
    for (const name of UNKEYED_BY_DEFAULT)
      evil[name] = name === 'forwarded' ? 'host=evil.example;proto=https' : `evil-${name}`;
    await http().get('/safe/reflect-all').set(evil).expect(200);

    const clean = await http().get('/safe/reflect-all').expect(200);
    expect(clean.headers['x-cache']).toBe('HIT');
    expect(occurrences(clean.text, 'evil')).toBe(0);
    expect(counter.of('reflect-all')).toBe(1);
  });

  it('concurrent requests of alice and bob on a {user.id} route never cross', async () => {
    const { http, counter } = await createApp(platform, makeAdapter(), { controllers: [SafetyController] });

    const users = Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? 'alice' : 'bob'));
    const responses = await Promise.all(
      users.map((user) => http().get('/safe/profile').set('Authorization', `Bearer ${user}`)),
    );
    responses.forEach((res, i) => {
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ user: users[i], secret: `${users[i]}-secret`, n: 1 });
    });
    expect(counter.of('profile:alice')).toBe(1);
    expect(counter.of('profile:bob')).toBe(1);
  });

  it('control: with unkeyedHeaders: [] the same probe does see the reflected headers (the probe is sensitive)', async () => {
    const { http } = await createApp(platform, makeAdapter(), {
      controllers: [SafetyController],
      cache: { http: { unkeyedHeaders: [] } },
    });

    await http().get('/safe/reflect').set(EVIL_HEADERS[0][1]).expect(200);
    const clean = await http().get('/safe/reflect').expect(200);
    expect(clean.headers['x-cache']).toBe('HIT');
    expect(occurrences(clean.text, 'evil')).toBeGreaterThanOrEqual(4);
  });

  it('cache poisoning: unkeyed headers are hidden only while producing a stored response', async () => {
    const { http, counter } = await createApp(platform, makeAdapter(), { controllers: [SafetyController] });

    // A bypassed request is never stored, so its handler may see its own headers.
    const bypass = await http()
      .get('/safe/reflect')
      .set('Authorization', 'Bearer alice')
      .set('Accept-Language', 'de-CH')
      .expect(200);
    expect(bypass.headers['x-cache']).toBe('BYPASS');
    expect(bypass.body.lang).toBe('de-CH');

    const miss = await http().get('/safe/reflect').set('Accept-Language', 'xx-EVIL').expect(200);
    expect(miss.headers['x-cache']).toBe('MISS');
    expect(occurrences(miss.text, 'evil')).toBe(0);
    for (let i = 0; i < 3; i++) {
      const clean = await http().get('/safe/reflect').expect(200);
      expect(clean.headers['x-cache']).toBe('HIT');
      expect(clean.text).toBe(miss.text);
    }
    expect(counter.of('reflect')).toBe(2);
  });

  it('a route keyed {headers.accept-language} sees the header, sends Vary and keeps one entry per language', async () => {
    const { http, counter, prefix } = await createApp(platform, makeAdapter(), { controllers: [SafetyController] });

    for (const lang of ['en-GB', 'fr-FR']) {
      const miss = await http().get('/safe/localized').set('Accept-Language', lang).expect(200);
      expect(miss.headers['x-cache']).toBe('MISS');
      expect(miss.body.lang).toBe(lang);
      expect(miss.headers.vary?.toLowerCase()).toContain('accept-language');
    }
    for (const lang of ['en-GB', 'fr-FR']) {
      const hit = await http().get('/safe/localized').set('Accept-Language', lang).expect(200);
      expect(hit.headers['x-cache']).toBe('HIT');
      expect(hit.body.lang).toBe(lang);
      expect(hit.headers.vary?.toLowerCase()).toContain('accept-language');
    }
    expect(counter.of('localized')).toBe(2);
    expect(await storedKeys(redis, prefix)).toHaveLength(2);
  });

  it("by default a request's own Cache-Control: no-cache or no-store is still answered from the cache", async () => {
    const { http, counter } = await createApp(platform, makeAdapter(), { controllers: [SafetyController] });

    expect((await http().get('/safe/public').expect(200)).headers['x-cache']).toBe('MISS');
    for (const directive of ['no-cache', 'no-store', 'max-age=0']) {
      const res = await http().get('/safe/public').set('Cache-Control', directive).expect(200);
      expect(res.headers['x-cache']).toBe('HIT');
      expect(res.body).toEqual({ n: 1, user: null });
    }
    expect(counter.of('public')).toBe(1);
  });

  it('with respectRequestCacheControl, no-cache runs the handler and stores its result; no-store bypasses', async () => {
    const { http, counter, prefix } = await createApp(platform, makeAdapter(), {
      controllers: [SafetyController],
      cache: { http: { respectRequestCacheControl: true } },
    });

    expect((await http().get('/safe/public').expect(200)).body).toEqual({ n: 1, user: null });
    const revalidated = await http().get('/safe/public').set('Cache-Control', 'no-cache').expect(200);
    expect(revalidated.headers['x-cache']).toBe('MISS');
    expect(revalidated.body).toEqual({ n: 2, user: null });
    expect(counter.of('public')).toBe(2);

    const afterRevalidation = await http().get('/safe/public').expect(200);
    expect(afterRevalidation.headers['x-cache']).toBe('HIT');
    expect(afterRevalidation.body).toEqual({ n: 2, user: null });

    const noStore = await http().get('/safe/public').set('Cache-Control', 'no-store').expect(200);
    expect(noStore.headers['x-cache']).toBe('BYPASS');
    expect(noStore.body).toEqual({ n: 3, user: null });
    const stillStored = await http().get('/safe/public').expect(200);
    expect(stillStored.headers['x-cache']).toBe('HIT');
    expect(stillStored.body).toEqual({ n: 2, user: null });
    expect(counter.of('public')).toBe(3);
    expect(await storedKeys(redis, prefix)).toHaveLength(1);
  });
});

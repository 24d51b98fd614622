/**
 * Issue 5, "Stale data on purpose": stale-while-revalidate (grace) with one background refresh,
 * fail-safe, `failSafe: false`, `X-Cache: STALE` on HTTP (Express and Fastify), and XFetch early
 * refresh of hot keys. Runs against a private redis-server.
 */
import 'reflect-metadata';
import { setTimeout as sleep } from 'node:timers/promises';
import { Controller, Get, Injectable, UseInterceptors } from '@nestjs/common';
import { ReadThrough, ReadThroughInterceptor, RedisCacheService } from '../../lib/index.js';
import { loggedMessages } from '../helpers/nest-testing.helper.js';
import { eventually } from '../helpers/polling.helper.js';
import { startRedisServer, stopAllRedisServers, type RedisServerHandle } from '../helpers/redis-server.js';
import { uniquePrefix, type TestRedis } from '../helpers/test-redis.js';
import { Counter, PLATFORMS, trackHttpApps } from './fixtures/http-app.js';
import { trackModules } from './fixtures/resilience-support.js';

let server: RedisServerHandle | undefined;
/** The private server, in the shape the HTTP fixture takes. */
const privateRedis: TestRedis = {
  url: () => {
    if (!server) throw new Error('private redis-server not started');
    return server.url;
  },
  server: () => server,
};

beforeAll(async () => {
  server = await startRedisServer();
});

const modules = trackModules();
const createApp = trackHttpApps(privateRedis);

afterAll(async () => {
  await modules.closeAll();
  await createApp.closeAll();
  await stopAllRedisServers();
});

/** A method body: counts runs and completions, takes `methodMs`, throws while `failing`. */
class Upstream {
  runs = 0;
  finished = 0;
  failing = false;
  methodMs = 300;

  async produce(id: string): Promise<{ id: string; version: number }> {
    const version = ++this.runs;
    await sleep(this.methodMs);
    if (this.failing) throw new Error(`upstream down (run ${version})`);
    this.finished++;
    return { id, version };
  }
}

@Injectable()
class SwrService {
  readonly lenient = new Upstream();
  readonly strict = new Upstream();

  @ReadThrough('swr:{0}', '1s', { staleWhileRevalidate: '10s' })
  async item(id: string): Promise<{ id: string; version: number }> {
    return this.lenient.produce(id);
  }

  @ReadThrough('strict:{0}', '1s', { staleWhileRevalidate: '10s', failSafe: false })
  async strictItem(id: string): Promise<{ id: string; version: number }> {
    return this.strict.produce(id);
  }
}

/** Past a 1 s TTL, well inside the 10 s grace. */
const PAST_TTL_MS = 1_150;

describe('staleWhileRevalidate (service method)', () => {
  it('past the TTL, 20 concurrent callers get the stale value at once while exactly one refresh runs; then the new value', async () => {
    const prefix = uniquePrefix('swr');
    const { ref } = await modules.boot({ url: server!.url, prefix, operationTimeout: '5s' }, [SwrService]);
    const svc = ref.get(SwrService);
    const cache = ref.get(RedisCacheService);
    expect(await svc.item('a')).toEqual({ id: 'a', version: 1 });
    // Kept in Redis for ttl + grace (11 s), not just the TTL.
    expect(Number(await server!.command('PTTL', `${prefix}:default:swr:a`))).toBeGreaterThan(9_000);
    await sleep(PAST_TTL_MS);

    const before = cache.stats();
    const values = await Promise.all(Array.from({ length: 20 }, () => svc.item('a')));
    // Every caller had the old value before the refresh (300 ms) finished: nobody waited for it.
    expect(svc.lenient.finished).toBe(1);
    expect(values).toEqual(Array.from({ length: 20 }, () => ({ id: 'a', version: 1 })));
    // The refresh starts once its write is fenced (one round trip after the stale hits).
    expect(await eventually(1_000, () => svc.lenient.runs === 2)).toBe(true);
    const after = cache.stats();
    expect(after.staleHits - before.staleHits).toBe(20);
    expect(after.refreshes - before.refreshes).toBe(1);

    // Soon after, callers get the refreshed value, and no further run happened.
    expect(await eventually(3_000, async () => (await svc.item('a')).version === 2)).toBe(true);
    expect(svc.lenient.runs).toBe(2);
    expect(svc.lenient.finished).toBe(2);
  });

  it('fail-safe (default): a refresh that throws keeps serving the stale value, logs a warning and counts refreshFailures', async () => {
    const prefix = uniquePrefix('swr-failsafe');
    const { ref, logger } = await modules.boot({ url: server!.url, prefix, operationTimeout: '5s' }, [SwrService]);
    const svc = ref.get(SwrService);
    const cache = ref.get(RedisCacheService);
    svc.lenient.methodMs = 50;
    expect(await svc.item('a')).toEqual({ id: 'a', version: 1 });
    await sleep(PAST_TTL_MS);

    svc.lenient.failing = true;
    const failuresBefore = cache.stats().refreshFailures;
    expect(await svc.item('a')).toEqual({ id: 'a', version: 1 });
    expect(await eventually(3_000, () => cache.stats().refreshFailures > failuresBefore)).toBe(true);
    expect(svc.lenient.runs).toBe(2);
    const warning = loggedMessages(logger, 'warn').find((m) => m.includes('background refresh failed'));
    expect(warning).toBeDefined();
    expect(warning).toContain('SwrService.item');
    expect(warning).toContain('upstream down (run 2)');
    expect(warning).toContain('stale');

    // Still the stale value after the failed refresh (the entry was kept).
    expect(await svc.item('a')).toEqual({ id: 'a', version: 1 });
    expect(await server!.command('EXISTS', `${prefix}:default:swr:a`)).toBe('1');

    // The upstream recovers: a later refresh replaces the stale value.
    svc.lenient.failing = false;
    expect(await eventually(3_000, async () => (await svc.item('a')).version > 1)).toBe(true);
  });

  it('failSafe: false: a failed refresh deletes the stale entry, so the next call runs the method and sees its error', async () => {
    const prefix = uniquePrefix('swr-strict');
    const { ref } = await modules.boot({ url: server!.url, prefix, operationTimeout: '5s' }, [SwrService]);
    const svc = ref.get(SwrService);
    const cache = ref.get(RedisCacheService);
    const fullKey = `${prefix}:default:strict:a`;
    svc.strict.methodMs = 50;
    expect(await svc.strictItem('a')).toEqual({ id: 'a', version: 1 });
    await sleep(PAST_TTL_MS);

    svc.strict.failing = true;
    // The stale hit itself is still answered at once.
    expect(await svc.strictItem('a')).toEqual({ id: 'a', version: 1 });
    expect(await eventually(3_000, async () => (await server!.command('EXISTS', fullKey)) === '0')).toBe(true);
    expect(cache.stats().refreshFailures).toBe(1);

    const runs = svc.strict.runs;
    await expect(svc.strictItem('a')).rejects.toThrow(`upstream down (run ${runs + 1})`);
    expect(svc.strict.runs).toBe(runs + 1);
  });
});

@Controller('swr')
@UseInterceptors(ReadThroughInterceptor)
class SwrController {
  constructor(private readonly counter: Counter) {}

  /** The grace comes from the module options here (the service methods above set it per method). */
  @Get('item')
  @ReadThrough('item', '1s')
  async item(): Promise<{ version: number }> {
    const version = this.counter.hit('item');
    await sleep(100);
    return { version };
  }
}

describe.each(PLATFORMS)('staleWhileRevalidate on HTTP (%s)', (platform, makeAdapter) => {
  it('a stale hit answers X-Cache: STALE with an Age header and the old body; a later request is a HIT with the refreshed body', async () => {
    const { http, counter } = await createApp(platform, makeAdapter(), {
      controllers: [SwrController],
      cache: { operationTimeout: '5s', staleWhileRevalidate: '10s' },
    });
    const miss = await http().get('/swr/item');
    expect(miss.status).toBe(200);
    expect(miss.headers['x-cache']).toBe('MISS');
    expect(miss.body).toEqual({ version: 1 });
    await sleep(PAST_TTL_MS);

    const stale = await http().get('/swr/item');
    expect(stale.status).toBe(200);
    expect(stale.headers['x-cache']).toBe('STALE');
    expect(stale.headers.age).toMatch(/^\d+$/);
    expect(Number(stale.headers.age)).toBeGreaterThanOrEqual(1);
    expect(stale.body).toEqual({ version: 1 });

    let last: { headers: Record<string, string>; body: unknown } | undefined;
    const refreshed = await eventually(3_000, async () => {
      const response = await http().get('/swr/item');
      last = { headers: response.headers as Record<string, string>, body: response.body };
      return response.headers['x-cache'] === 'HIT' && (response.body as { version: number }).version === 2;
    });
    expect({ refreshed, last }).toMatchObject({ refreshed: true });
    expect(counter.of('item')).toBe(2);
  });
});

@Injectable()
class HotService {
  runs = 0;
  finished = 0;
  /** `Date.now()` at the start of each run. */
  readonly startedAt: number[] = [];
  /** Runs after the first wait for this (so a test can prove callers never wait for a refresh). */
  gate: Promise<void> | undefined;

  @ReadThrough('hot:{0}', '2s')
  async hot(id: string): Promise<{ id: string; version: number }> {
    return this.produce(id);
  }

  @ReadThrough('cold:{0}', '2s', { earlyRefresh: false })
  async cold(id: string): Promise<{ id: string; version: number }> {
    return this.produce(id);
  }

  private async produce(id: string): Promise<{ id: string; version: number }> {
    const version = ++this.runs;
    this.startedAt.push(Date.now());
    await sleep(100);
    if (version > 1) await this.gate;
    this.finished++;
    return { id, version };
  }
}

describe('earlyRefresh (XFetch)', () => {
  const TTL_MS = 2_000;

  /**
   * Writes the entry, then from 1 s after the write until 150 ms before it expires calls
   * `call` every 20 ms. Resolves the values the calls got and the write's start time.
   */
  async function hitUntilShortlyBeforeExpiry(
    call: () => Promise<{ id: string; version: number }>,
  ): Promise<{ values: { id: string; version: number }[]; writtenAt: number }> {
    const writtenAt = Date.now();
    expect(await call()).toEqual({ id: 'a', version: 1 });
    await sleep(Math.max(0, writtenAt + 1_000 - Date.now()));
    const values: { id: string; version: number }[] = [];
    while (Date.now() < writtenAt + TTL_MS - 150) {
      values.push(await call());
      await sleep(20);
    }
    return { values, writtenAt };
  }

  it('earlyRefresh: 10 with a ~100 ms method: hits shortly before expiry start a background refresh before the TTL ends; no caller waits', async () => {
    const prefix = uniquePrefix('early');
    const { ref } = await modules.boot({ url: server!.url, prefix, operationTimeout: '5s', earlyRefresh: 10 }, [
      HotService,
    ]);
    const svc = ref.get(HotService);
    const cache = ref.get(RedisCacheService);
    let release!: () => void;
    svc.gate = new Promise<void>((resolve) => (release = resolve));
    try {
      const { values, writtenAt } = await hitUntilShortlyBeforeExpiry(() => svc.hot('a'));
      // A refresh started, before the TTL ended ...
      expect(svc.runs).toBe(2);
      expect(svc.startedAt[1]).toBeLessThan(writtenAt + TTL_MS);
      expect(cache.stats().refreshes).toBe(1);
      // ... and every caller got the current value while it was still running (it is gated).
      expect(svc.finished).toBe(1);
      expect(values.length).toBeGreaterThan(10);
      expect(values.every((v) => v.id === 'a' && v.version === 1)).toBe(true);
    } finally {
      release();
    }
    // Once the refresh completes, callers get its value.
    expect(await eventually(3_000, async () => (await svc.hot('a')).version >= 2)).toBe(true);
  });

  it('earlyRefresh: false (per method, over a module earlyRefresh: 10): no refresh before expiry', async () => {
    const prefix = uniquePrefix('early-off');
    const { ref } = await modules.boot({ url: server!.url, prefix, operationTimeout: '5s', earlyRefresh: 10 }, [
      HotService,
    ]);
    const svc = ref.get(HotService);
    const cache = ref.get(RedisCacheService);
    const { values, writtenAt } = await hitUntilShortlyBeforeExpiry(() => svc.cold('a'));
    expect(values.length).toBeGreaterThan(10);
    expect(values.every((v) => v.id === 'a' && v.version === 1)).toBe(true);
    expect(svc.runs).toBe(1);
    expect(cache.stats().refreshes).toBe(0);
    // After expiry it is an ordinary miss.
    await sleep(Math.max(0, writtenAt + TTL_MS + 200 - Date.now()));
    expect(await svc.cold('a')).toEqual({ id: 'a', version: 2 });
  });
});

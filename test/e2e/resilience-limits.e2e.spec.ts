/**
 * Issue 5, "Bad data and limits": a Redis at `maxmemory 2mb` with `allkeys-lru` (evictions are
 * just misses), `maxValueBytes` (an oversize value is returned, not stored, with a warning; a
 * 10 MB value round-trips), and `app.close()` with 100 calls in flight. Private redis-servers.
 */
import 'reflect-metadata';
import { setTimeout as sleep } from 'node:timers/promises';
import { Injectable } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import { ReadThrough, RedisCacheModule, RedisCacheService, RedisPoolService } from '../../lib/index.js';
import { loggedMessages } from '../helpers/nest-testing.helper.js';
import { eventually, within } from '../helpers/polling.helper.js';
import { connectionsNamed } from '../helpers/redis-cli.helper.js';
import { startRedisServer, stopAllRedisServers } from '../helpers/redis-server.js';
import { uniquePrefix } from '../helpers/test-redis.js';
import { runBounded, trackModules } from './fixtures/resilience-support.js';

const modules = trackModules();

afterAll(async () => {
  await modules.closeAll();
  await stopAllRedisServers();
});

/** About `size` bytes of text derived from `id`, so a hit and a run give exactly the same value. */
function blobOf(id: string, size: number): string {
  return `${id}|`.repeat(Math.ceil(size / (id.length + 1))).slice(0, size);
}

@Injectable()
class BlobService {
  /** Runs per id. */
  readonly runs = new Map<string, number>();
  size = 1_024;

  @ReadThrough('blob:{0}', '10m')
  async blob(id: string): Promise<{ id: string; blob: string }> {
    this.runs.set(id, (this.runs.get(id) ?? 0) + 1);
    return { id, blob: blobOf(id, this.size) };
  }

  runsOf(id: string): number {
    return this.runs.get(id) ?? 0;
  }

  get totalRuns(): number {
    let total = 0;
    for (const n of this.runs.values()) total += n;
    return total;
  }
}

describe('Redis at maxmemory 2mb with allkeys-lru', () => {
  it('5,000 × 1 KB values: no call fails, all values correct, evicted keys are just misses, storeErrors stays 0', async () => {
    const KEYS = 5_000;
    const server = await startRedisServer({ args: ['--maxmemory', '2mb', '--maxmemory-policy', 'allkeys-lru'] });
    const prefix = uniquePrefix('maxmemory');
    // A generous deadline: this test is about eviction, and a timed-out write on a loaded box
    // would count as a store error for reasons that have nothing to do with it.
    const { ref } = await modules.boot({ url: server.url, prefix, operationTimeout: '5s' }, [BlobService]);
    const svc = ref.get(BlobService);
    const cache = ref.get(RedisCacheService);
    const id = (i: number): string => `k${i}`;
    const isRight = (value: { id: string; blob: string } | undefined, i: number): boolean =>
      value?.id === id(i) && value.blob === blobOf(id(i), 1_024);

    const first = await runBounded(KEYS, 20, (i) => svc.blob(id(i)));
    expect(first.filter((o) => !o.ok)).toEqual([]);
    expect(first.filter((o) => !isRight(o.value, o.index)).map((o) => o.index)).toEqual([]);
    expect(svc.totalRuns).toBe(KEYS);
    // Redis really evicted: far fewer keys than were written.
    const evicted = Number(/evicted_keys:(\d+)/.exec(await server.command('INFO', 'stats'))?.[1]);
    expect(evicted).toBeGreaterThan(0);
    expect(Number(await server.command('DBSIZE'))).toBeLessThan(KEYS);

    // Evicted keys are misses: the method runs again for them and returns the right value.
    const sample = Array.from({ length: 50 }, (_, i) => i);
    const gone: number[] = [];
    for (const i of sample)
      if ((await server.command('EXISTS', `${prefix}:default:blob:${id(i)}`)) === '0') gone.push(i);
    expect(gone.length).toBeGreaterThan(0);
    for (const i of gone) {
      expect(isRight(await svc.blob(id(i)), i)).toBe(true);
      expect(svc.runsOf(id(i))).toBe(2);
    }

    // A second pass, newest first: a mix of hits and misses, every miss one run, all values right.
    const before = cache.stats();
    const runsBefore = svc.totalRuns;
    const second = await runBounded(KEYS, 20, (n) => svc.blob(id(KEYS - 1 - n)));
    expect(second.filter((o) => !o.ok)).toEqual([]);
    expect(second.filter((o) => !isRight(o.value, KEYS - 1 - o.index)).map((o) => o.index)).toEqual([]);
    const after = cache.stats();
    const hits = after.hits - before.hits;
    const misses = after.misses - before.misses;
    expect(hits + misses).toBe(KEYS);
    expect(hits).toBeGreaterThan(0);
    expect(misses).toBeGreaterThan(0);
    expect(svc.totalRuns - runsBefore).toBe(misses);
    expect(after).toMatchObject({ storeErrors: 0, rejectedEntries: 0 });
  }, 60_000);
});

@Injectable()
class SizedService {
  runs = 0;
  size = 100;

  @ReadThrough('sized:{0}', '10m')
  async sized(id: string): Promise<{ id: string; blob: string }> {
    this.runs++;
    return { id, blob: 'x'.repeat(this.size) };
  }
}

describe('maxValueBytes', () => {
  it('a value over maxValueBytes (4096) is returned, not stored (the method runs again), and a warning names the method', async () => {
    const server = await startRedisServer();
    const prefix = uniquePrefix('oversize');
    const { ref, logger } = await modules.boot(
      { url: server.url, prefix, maxValueBytes: 4_096, operationTimeout: '5s' },
      [SizedService],
    );
    const svc = ref.get(SizedService);
    svc.size = 5_000;
    const big = { id: 'o', blob: 'x'.repeat(5_000) };
    expect(await svc.sized('o')).toEqual(big);
    expect(await server.command('EXISTS', `${prefix}:default:sized:o`)).toBe('0');
    expect(await svc.sized('o')).toEqual(big);
    expect(svc.runs).toBe(2);
    const warning = loggedMessages(logger, 'warn').find((m) => m.includes('maxValueBytes'));
    expect(warning).toBeDefined();
    expect(warning).toContain('SizedService.sized');
    expect(ref.get(RedisCacheService).stats().storeErrors).toBe(0);

    // A value that fits is stored by the same module.
    svc.size = 1_000;
    expect(await svc.sized('small')).toEqual({ id: 'small', blob: 'x'.repeat(1_000) });
    expect(await svc.sized('small')).toEqual({ id: 'small', blob: 'x'.repeat(1_000) });
    expect(svc.runs).toBe(3);
  });

  it('a 10 MB value under the default maxValueBytes (16 MiB) round-trips: stored, then a hit', async () => {
    const server = await startRedisServer();
    const prefix = uniquePrefix('ten-mb');
    const { ref } = await modules.boot({ url: server.url, prefix, operationTimeout: '10s' }, [SizedService]);
    const svc = ref.get(SizedService);
    svc.size = 10 * 1024 * 1024;
    const miss = await svc.sized('ten');
    expect(miss.blob).toHaveLength(10 * 1024 * 1024);
    expect(Number(await server.command('STRLEN', `${prefix}:default:sized:ten`))).toBeGreaterThan(10 * 1024 * 1024);
    const hit = await svc.sized('ten');
    expect(svc.runs).toBe(1);
    expect(hit.id).toBe('ten');
    expect(hit.blob === miss.blob).toBe(true);
    expect(ref.get(RedisCacheService).stats()).toMatchObject({
      hits: 1,
      storeErrors: 0,
      skippedWrites: 0,
      rejectedEntries: 0,
    });
  }, 30_000);
});

@Injectable()
class SlowService {
  started = 0;

  @ReadThrough('slow:{0}', '10m')
  async slow(id: string): Promise<{ id: string; value: string }> {
    this.started++;
    await sleep(200);
    return { id, value: `value-of-${id}` };
  }
}

describe('app.close() with 100 calls in flight', () => {
  it('every call settles (correct value or an Error), the pool connections are gone, and nothing stays in flight', async () => {
    const server = await startRedisServer();
    const prefix = uniquePrefix('close');
    const connectionName = `${prefix}:readthrough`;
    const ref = await Test.createTestingModule({
      imports: [RedisCacheModule.forRoot({ url: server.url, prefix, operationTimeout: '5s' })],
      providers: [SlowService],
    }).compile();
    const app = ref.createNestApplication(new ExpressAdapter(), { logger: false });
    let closing: Promise<void> | undefined;
    try {
      await app.init();
      const svc = app.get(SlowService);
      const cache = app.get(RedisCacheService);
      expect(app.get(RedisPoolService).connectionName).toBe(connectionName);
      const named = (): Promise<number> => connectionsNamed(server, connectionName);
      expect(await named()).toBeGreaterThan(0);

      // 60 distinct keys and 40 calls over 4 shared keys; half already in the method, half just issued.
      const keyOf = (i: number): string => (i % 5 < 3 ? `d${i}` : `s${i % 4}`);
      const calls: { key: string; promise: Promise<{ id: string; value: string }> }[] = [];
      for (let i = 0; i < 50; i++) calls.push({ key: keyOf(i), promise: svc.slow(keyOf(i)) });
      expect(await eventually(2_000, () => svc.started > 0, 5)).toBe(true);
      for (let i = 50; i < 100; i++) calls.push({ key: keyOf(i), promise: svc.slow(keyOf(i)) });
      expect(cache.stats().inflight).toBeGreaterThan(0);
      closing = app.close();

      const settled = await within(Promise.allSettled(calls.map((c) => c.promise)), 10_000, 'hung' as const);
      expect(settled).not.toBe('hung');
      const results = settled as PromiseSettledResult<{ id: string; value: string }>[];
      const bad = results
        .map((result, i) => ({ result, key: calls[i].key }))
        .filter(({ result, key }) =>
          result.status === 'fulfilled'
            ? result.value.id !== key || result.value.value !== `value-of-${key}`
            : !(result.reason instanceof Error),
        );
      expect(bad).toEqual([]);
      expect(await within(closing, 10_000, 'hung' as const)).not.toBe('hung');

      // The pool's connections are gone from the server.
      expect(await eventually(2_000, async () => (await named()) === 0)).toBe(true);
      // Nothing is left in the single-flight map (entries leave one event-loop turn after settling).
      await new Promise((resolve) => setImmediate(resolve));
      expect(cache.stats().inflight).toBe(0);
    } finally {
      await (closing ?? app.close()).catch(() => undefined);
    }
  }, 30_000);
});

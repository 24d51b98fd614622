/**
 * The cross-process stampede lock on controller routes: with `lock`, a cold route hit at once on
 * two app instances (two executors sharing one Redis and one prefix, as two pods would) runs
 * its handler once in total, and every caller gets that one response. Without it, each instance
 * runs the handler once (in-process coalescing only), which shows the test can tell the two apart.
 */
import 'reflect-metadata';
import { Controller, Get, Inject, UseInterceptors } from '@nestjs/common';
import type { AbstractHttpAdapter } from '@nestjs/core';
import { ReadThrough, ReadThroughInterceptor, type RedisCacheModuleOptions } from '../../lib/index.js';
import { storedKeys } from '../helpers/redis-cli.helper.js';
import { uniquePrefix, useTestRedis } from '../helpers/test-redis.js';
import { Counter, PLATFORMS, trackHttpApps, type HttpApp, type Platform } from './fixtures/http-app.js';

const redis = useTestRedis();
const createApp = trackHttpApps(redis);

const INSTANCE = Symbol('instance');
const HANDLER_MS = 300;

@Controller('report')
@UseInterceptors(ReadThroughInterceptor)
class ReportController {
  constructor(
    private readonly counter: Counter,
    @Inject(INSTANCE) private readonly instance: string,
  ) {}

  @Get()
  @ReadThrough('report', '1m')
  async report(): Promise<{ by: string; run: number }> {
    const run = this.counter.hit('report');
    await new Promise((resolve) => setTimeout(resolve, HANDLER_MS));
    return { by: this.instance, run };
  }
}

/** Two instances of one app on a shared prefix, as two replicas behind a load balancer. */
async function twoInstances(
  platform: Platform,
  makeAdapter: () => AbstractHttpAdapter,
  cache: RedisCacheModuleOptions,
): Promise<{ apps: HttpApp[]; prefix: string }> {
  const prefix = uniquePrefix(`http-lock-${platform}`);
  const apps = await Promise.all(
    ['a', 'b'].map((name) =>
      createApp(platform, makeAdapter(), {
        controllers: [ReportController],
        providers: [{ provide: INSTANCE, useValue: name }],
        cache: { prefix, ...cache },
      }),
    ),
  );
  return { apps, prefix };
}

/** 10 concurrent GETs on each instance, all sent before any is answered. */
async function stampede(apps: HttpApp[]): Promise<{ body: unknown; cache: string | undefined }[]> {
  const calls = apps.flatMap((app) => Array.from({ length: 10 }, () => app.http().get('/report').expect(200)));
  const responses = await Promise.all(calls);
  return responses.map((res) => ({ body: res.body as unknown, cache: res.headers['x-cache'] as string | undefined }));
}

describe.each(PLATFORMS)('HTTP: cross-instance lock on %s', (platform, makeAdapter) => {
  it('with lock, a cold route runs its handler once across two instances and every caller gets that response', async () => {
    const { apps, prefix } = await twoInstances(platform, makeAdapter, { lock: { ttl: '5s', wait: '5s' } });

    const responses = await stampede(apps);

    const runs = apps.map((app) => app.counter.of('report'));
    expect(runs.reduce((a, b) => a + b, 0)).toBe(1);
    const producer = runs[0] === 1 ? 'a' : 'b';
    for (const response of responses) {
      expect(response.body).toEqual({ by: producer, run: 1 });
      expect(response.cache).toBe('MISS');
    }
    // The lock is released once the response is stored; only the entry is left.
    const keys = await storedKeys(redis, prefix);
    expect(keys.length).toBe(1);
    expect(keys[0]).not.toContain('__lock__');
    const hit = await apps[1 - runs.indexOf(1)].http().get('/report').expect(200);
    expect(hit.headers['x-cache']).toBe('HIT');
    expect(hit.body).toEqual({ by: producer, run: 1 });
  });

  it('without lock, each instance runs the handler once (coalescing is per process)', async () => {
    const { apps } = await twoInstances(platform, makeAdapter, {});

    const responses = await stampede(apps);

    expect(apps.map((app) => app.counter.of('report'))).toEqual([1, 1]);
    expect(new Set(responses.map((r) => JSON.stringify(r.body)))).toEqual(
      new Set([JSON.stringify({ by: 'a', run: 1 }), JSON.stringify({ by: 'b', run: 1 })]),
    );
  });

  it('a request that asks to revalidate runs the handler even while another instance holds the lock', async () => {
    const { apps } = await twoInstances(platform, makeAdapter, {
      lock: { ttl: '5s', wait: '5s' },
      http: { respectRequestCacheControl: true },
    });

    const [plain, revalidating] = await Promise.all([
      apps[0].http().get('/report').expect(200),
      new Promise((resolve) => setTimeout(resolve, 50)).then(() =>
        apps[1].http().get('/report').set('Cache-Control', 'no-cache').expect(200),
      ),
    ]);

    expect(plain.body).toEqual({ by: 'a', run: 1 });
    expect(revalidating.body).toEqual({ by: 'b', run: 1 });
  });
});

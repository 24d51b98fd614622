/**
 * Issue 9, "Load": a burst against a healthy Redis is served from the cache. 10,000 concurrent
 * hits must not time out while they wait behind each other (before the command window, the
 * per-operation deadline also counted the time a command sat queued in the client: thousands of
 * reads "timed out", the breaker opened and the method ran thousands of times), and a paused
 * Redis must still be detected within `operationTimeout`. Private redis-server processes only:
 * the pause tests freeze them.
 */
import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import {
  ReadThrough,
  RedisCacheConnectionError,
  RedisCacheService,
  RedisPoolService,
  type RedisCacheModuleOptions,
} from '../../lib/index.js';
import { cacheTestingModule, loggedMessages, trackTestingModules } from '../helpers/nest-testing.helper.js';
import { eventually } from '../helpers/polling.helper.js';
import { startRedisServer, stopAllRedisServers } from '../helpers/redis-server.js';
import { uniquePrefix } from '../helpers/test-redis.js';
import { burst, summary, TimedLogger, type Burst } from './fixtures/burst-support.js';
import { runBounded } from './fixtures/resilience-support.js';

const CALLS = 10_000;
const KEYS = 1_000;
const OPERATION_TIMEOUT_MS = 300;
/** Scheduling noise of a shared 2-core box, on top of `operationTimeout`, for detecting a stall. */
const DETECT_SLACK_MS = 150;
/**
 * After the stall is detected, 10,000 callers still have to run their own fail-open path (log,
 * coalesce, run the method): CPU work in this process, measured at 200–700 ms here. Bounded
 * generously: the point is that nothing waits on the frozen server again.
 */
const SETTLE_AFTER_DETECT_MS = 3_000;
/** About 1 KB per entry, a typical small object: decoding it is what makes a burst slow to drain. */
const PAYLOAD = 'x'.repeat(1_000);

function expected(key: string): { key: string; n: number; body: string } {
  return { key, n: key.length, body: PAYLOAD };
}

@Injectable()
class BurstService {
  runs = 0;

  @ReadThrough('b:{0}', '5m')
  async value(key: string): Promise<{ key: string; n: number; body: string }> {
    this.runs++;
    await Promise.resolve();
    return expected(key);
  }
}

const modules = trackTestingModules();

afterAll(async () => {
  await modules.closeAll();
  await stopAllRedisServers();
});

/** Boots the module with a {@link TimedLogger} and warms every key (each stored once). */
async function warmBurstApp(
  options: RedisCacheModuleOptions,
): Promise<{ ref: TestingModule; logger: TimedLogger; svc: BurstService }> {
  const ref = await modules.compile(cacheTestingModule(options, [BurstService]));
  const logger = new TimedLogger();
  ref.useLogger(logger);
  await ref.init();
  const svc = ref.get(BurstService);
  await runBounded(KEYS, 50, (i) => svc.value(`k${i}`));
  expect(svc.runs).toBe(KEYS);
  return { ref, logger, svc };
}

describe('a burst of 10,000 concurrent hits on a healthy Redis', () => {
  it('is served from the cache: 0 method runs, 0 store errors, breaker closed', async () => {
    const server = await startRedisServer();
    const { ref, logger, svc } = await warmBurstApp({
      url: server.url,
      prefix: uniquePrefix('burst'),
      operationTimeout: `${OPERATION_TIMEOUT_MS}ms`,
    });
    expect(await server.command('DBSIZE')).toBe(String(KEYS));
    const cache = ref.get(RedisCacheService);
    const pool = ref.get(RedisPoolService);
    const before = { runs: svc.runs, ...cache.stats() };

    const run = await burst(CALLS, (i) => svc.value(`k${i % KEYS}`));

    const after = cache.stats();
    const figures = {
      calls: run.outcomes.length,
      failed: run.outcomes.filter((o) => !o.ok).length,
      methodRuns: svc.runs - before.runs,
      storeErrors: after.storeErrors - before.storeErrors,
      hits: after.hits - before.hits,
      breaker: pool.circuitState,
    };
    console.log(`burst on a healthy Redis: ${JSON.stringify(figures)}; ${summary(run)}`);
    expect(figures).toEqual({ calls: CALLS, failed: 0, methodRuns: 0, storeErrors: 0, hits: CALLS, breaker: 'closed' });
    expect(run.outcomes.filter((o, i) => JSON.stringify(o.value) !== JSON.stringify(expected(`k${i % KEYS}`)))).toEqual(
      [],
    );
    expect(logger.warnings.map((w) => w.message)).toEqual([]);
    expect(pool.commandsShed).toBe(0);
  }, 60_000);
});

describe('the same burst on a paused Redis', () => {
  it('is detected within operationTimeout of the loop being free: the breaker opens, every call gets the method result', async () => {
    const server = await startRedisServer();
    const { ref, logger, svc } = await warmBurstApp({
      url: server.url,
      prefix: uniquePrefix('burst-paused'),
      operationTimeout: `${OPERATION_TIMEOUT_MS}ms`,
    });
    const pool = ref.get(RedisPoolService);
    const runsBefore = svc.runs;

    let run: Burst;
    await server.pause();
    try {
      run = await burst(CALLS, (i) => svc.value(`k${i % KEYS}`));
      expect(pool.circuitState).toBe('open');
    } finally {
      server.resume();
    }
    const opened = logger.warnings.find((w) => w.message.includes('Circuit breaker open'));
    expect(opened).toBeDefined();
    const detectedMs = opened!.at - run.startedAt;
    const lastMs = Math.max(...run.outcomes.map((o) => o.ms));
    console.log(
      `burst on a paused Redis: breaker open after ${Math.round(detectedMs)} ms; method runs ${svc.runs - runsBefore}; ${summary(run)}`,
    );
    expect(run.outcomes.filter((o) => !o.ok)).toEqual([]);
    expect(run.outcomes.filter((o, i) => JSON.stringify(o.value) !== JSON.stringify(expected(`k${i % KEYS}`)))).toEqual(
      [],
    );
    // Fail open: no hit could be read, so every key's method ran (concurrent misses of one key join one run).
    expect(svc.runs - runsBefore).toBeGreaterThanOrEqual(KEYS);
    expect(detectedMs - run.loopFreeMs).toBeLessThanOrEqual(OPERATION_TIMEOUT_MS + DETECT_SLACK_MS);
    expect(lastMs - detectedMs).toBeLessThanOrEqual(SETTLE_AFTER_DETECT_MS);

    // Resumed: the breaker closes after its cooldown and the warm keys are hits again.
    const closed = await eventually(5_000, async () => {
      await svc.value('k1');
      return pool.circuitState === 'closed';
    });
    expect(closed).toBe(true);
    const runs = svc.runs;
    expect(await svc.value('k2')).toEqual(expected('k2'));
    expect(svc.runs).toBe(runs);
  }, 60_000);

  it('circuitBreaker: false: the window alone detects the stall (timeouts in a row fail the queue at once)', async () => {
    const server = await startRedisServer();
    const { ref, logger, svc } = await warmBurstApp({
      url: server.url,
      prefix: uniquePrefix('burst-nobreaker'),
      operationTimeout: `${OPERATION_TIMEOUT_MS}ms`,
      circuitBreaker: false,
    });
    let run: Burst;
    await server.pause();
    try {
      run = await burst(CALLS, (i) => svc.value(`k${i % KEYS}`));
    } finally {
      server.resume();
    }
    const failed = logger.warnings.find((w) => w.message.includes('cache read failed'));
    expect(failed).toBeDefined();
    const detectedMs = failed!.at - run.startedAt;
    console.log(
      `burst on a paused Redis, no breaker: first fail-open after ${Math.round(detectedMs)} ms; ${summary(run)}`,
    );
    expect(
      run.outcomes.filter((o, i) => !o.ok || JSON.stringify(o.value) !== JSON.stringify(expected(`k${i % KEYS}`))),
    ).toEqual([]);
    expect(ref.get(RedisPoolService).circuitState).toBe('closed');
    expect(detectedMs - run.loopFreeMs).toBeLessThanOrEqual(OPERATION_TIMEOUT_MS + DETECT_SLACK_MS);
    // Without the flush, the queue would drain 512 commands per timeout: about 20 x 300 ms.
    expect(Math.max(...run.outcomes.map((o) => o.ms)) - detectedMs).toBeLessThanOrEqual(SETTLE_AFTER_DETECT_MS);
  }, 60_000);

  it('with failOpen: false every call rejects with RedisCacheConnectionError, the method never runs', async () => {
    const server = await startRedisServer();
    const { logger, svc } = await warmBurstApp({
      url: server.url,
      prefix: uniquePrefix('burst-closed'),
      operationTimeout: `${OPERATION_TIMEOUT_MS}ms`,
      failOpen: false,
    });
    const runsBefore = svc.runs;

    let run: Burst;
    await server.pause();
    try {
      run = await burst(CALLS, (i) => svc.value(`k${i % KEYS}`));
    } finally {
      server.resume();
    }
    const opened = logger.warnings.find((w) => w.message.includes('Circuit breaker open'));
    expect(opened).toBeDefined();
    const detectedMs = opened!.at - run.startedAt;
    expect(run.outcomes.filter((o) => !(o.error instanceof RedisCacheConnectionError))).toEqual([]);
    expect(svc.runs).toBe(runsBefore);
    expect(detectedMs - run.loopFreeMs).toBeLessThanOrEqual(OPERATION_TIMEOUT_MS + DETECT_SLACK_MS);
    expect(Math.max(...run.outcomes.map((o) => o.ms)) - detectedMs).toBeLessThanOrEqual(SETTLE_AFTER_DETECT_MS);
    expect(loggedMessages(logger, 'warn').some((m) => /timed out|no answer within/.test(m))).toBe(true);
  }, 60_000);
});

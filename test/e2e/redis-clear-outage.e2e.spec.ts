/**
 * Issue 9, "Load": `RedisCacheService.clear()` used to hang while Redis was paused (its SCAN +
 * UNLINK walk had no deadline). Each SCAN batch and each UNLINK is now bounded by
 * `operationTimeout`, so a paused Redis makes `clear()` fail open (0, logged) or, with
 * `failOpen: false`, reject with RedisCacheConnectionError, within about one timeout.
 * Private redis-server processes only: these tests freeze them.
 */
import 'reflect-metadata';
import {
  RedisCacheConnectionError,
  RedisCacheService,
  RedisPoolService,
  type RedisCacheModuleOptions,
} from '../../lib/index.js';
import {
  cacheTestingModule,
  initCapturing,
  loggedMessages,
  trackTestingModules,
  type Captured,
} from '../helpers/nest-testing.helper.js';
import { rejectionOf } from '../helpers/polling.helper.js';
import { startRedisServer, stopAllRedisServers, type RedisServerHandle } from '../helpers/redis-server.js';
import { uniquePrefix } from '../helpers/test-redis.js';
import { runBounded } from './fixtures/resilience-support.js';

const OPERATION_TIMEOUT_MS = 200;
/** Scheduling noise of a shared 2-core box. */
const SLACK_MS = 250;

const modules = trackTestingModules();

afterAll(async () => {
  await modules.closeAll();
  await stopAllRedisServers();
});

async function bootWithKeys(
  server: RedisServerHandle,
  keys: number,
  extra: Partial<RedisCacheModuleOptions> = {},
): Promise<Captured> {
  const captured = await initCapturing(
    await modules.compile(
      cacheTestingModule(
        { url: server.url, prefix: uniquePrefix('clear'), operationTimeout: `${OPERATION_TIMEOUT_MS}ms`, ...extra },
        [],
      ),
    ),
  );
  const cache = captured.ref.get(RedisCacheService);
  const stored = await runBounded(keys, 200, (i) => cache.set(`k${i}`, { i }));
  expect(stored.filter((o) => o.value !== true)).toEqual([]);
  expect(await server.command('DBSIZE')).toBe(String(keys));
  return captured;
}

/** Runs `work` with the server paused (SIGSTOP), resuming it whatever happens. */
async function whilePaused<T>(server: RedisServerHandle, work: () => Promise<T>): Promise<T> {
  await server.pause();
  try {
    return await work();
  } finally {
    server.resume();
  }
}

describe('clear() while Redis is paused', () => {
  it('fails open: resolves 0 within operationTimeout, logs, deletes nothing; after resume it clears everything', async () => {
    const server = await startRedisServer();
    const { ref, logger } = await bootWithKeys(server, 50);
    const cache = ref.get(RedisCacheService);

    const { result, ms } = await whilePaused(server, async () => {
      const started = performance.now();
      const result = await cache.clear();
      return { result, ms: performance.now() - started };
    });
    expect(result).toBe(0);
    expect(ms).toBeLessThanOrEqual(OPERATION_TIMEOUT_MS + SLACK_MS);
    expect(loggedMessages(logger, 'warn').filter((m) => m.includes('clear failed'))).toHaveLength(1);
    expect(await server.command('DBSIZE')).toBe('50');

    // The breaker may still be cooling down right after the stall; a later clear() gets through.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(await cache.clear()).toBe(50);
    expect(await server.command('DBSIZE')).toBe('0');
  }, 30_000);

  it('failOpen: false rejects with RedisCacheConnectionError within operationTimeout', async () => {
    const server = await startRedisServer();
    const { ref } = await bootWithKeys(server, 10, { failOpen: false });
    const cache = ref.get(RedisCacheService);

    const { error, ms } = await whilePaused(server, async () => {
      const started = performance.now();
      const error = await rejectionOf(cache.clear());
      return { error, ms: performance.now() - started };
    });
    expect(error).toBeInstanceOf(RedisCacheConnectionError);
    expect(ms).toBeLessThanOrEqual(OPERATION_TIMEOUT_MS + SLACK_MS);
    expect(await server.command('DBSIZE')).toBe('10');
  }, 30_000);

  it('a clear() already walking the keyspace when Redis pauses fails open within operationTimeout of the pause, saying how far it got', async () => {
    const KEYS = 20_000;
    const server = await startRedisServer();
    const { ref, logger } = await bootWithKeys(server, KEYS);
    const cache = ref.get(RedisCacheService);
    const pool = ref.get(RedisPoolService);

    const attemptsBefore = pool.commandAttempts;
    const clearing = cache.clear();
    // Pause once the walk is under way: a few SCAN batches and their UNLINKs have been sent.
    for (let turns = 0; pool.commandAttempts - attemptsBefore < 1_000 && turns < 100_000; turns++) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(pool.commandAttempts - attemptsBefore).toBeGreaterThanOrEqual(1_000);
    const { result, ms } = await whilePaused(server, async () => {
      const pausedAt = performance.now();
      const result = await clearing;
      return { result, ms: performance.now() - pausedAt };
    });
    expect(result).toBe(0);
    expect(ms).toBeLessThanOrEqual(OPERATION_TIMEOUT_MS + SLACK_MS);
    const warning = loggedMessages(logger, 'warn').find((m) => m.includes('clear failed'));
    expect(warning).toMatch(/stopped after \d+ keys/);
    // It really stopped half-way: some keys are gone, some are left.
    const left = Number(await server.command('DBSIZE'));
    expect(left).toBeGreaterThan(0);
    expect(left).toBeLessThan(KEYS);
  }, 60_000);
});

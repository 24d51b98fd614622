/**
 * RedisPoolService against real redis-server processes: connecting at init, the narrow command
 * surface and the execute() escape hatch, pool sizing seen from the server (CLIENT LIST),
 * draining on app.close(), and faults after boot: a killed server (failOpen true / false) and a
 * SIGSTOPped one. Outages at boot and credentials in logs: redis-pool-outage.e2e.spec.ts.
 *
 * Fault cases use private servers (startRedisServer), never a shared REDIS_URL.
 */
import 'reflect-metadata';
import type { TestingModule } from '@nestjs/testing';
import { createClient, type RedisClientType } from 'redis';
import {
  RedisCacheConnectionError,
  RedisCacheService,
  RedisPoolService,
  type RedisCacheModuleOptions,
} from '../../lib/index.js';
import { ItemService, trackItemModules } from '../helpers/item-service.fixture.js';
import { eventually, rejectionOf, within } from '../helpers/polling.helper.js';
import { connectionsNamed, storedKeys } from '../helpers/redis-cli.helper.js';
import { startRedisServer, stopAllRedisServers, type RedisServerHandle } from '../helpers/redis-server.js';
import { flushPrefix, uniquePrefix, useTestRedis } from '../helpers/test-redis.js';

const redis = useTestRedis();
const { boot, close } = trackItemModules();

afterAll(async () => {
  await stopAllRedisServers();
});

/** A short-lived admin client on `url`; the library's own connections are never used to check it. */
async function withAdmin<T>(url: string, fn: (client: RedisClientType) => Promise<T>): Promise<T> {
  const client = createClient({ url, socket: { reconnectStrategy: false } }) as RedisClientType;
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.close();
  }
}

describe('RedisPoolService on a running Redis', () => {
  it('connects on init and serves the narrow surface; every SET has a PTTL > 0', async () => {
    const prefix = uniquePrefix('narrow');
    const ref = await boot({ url: redis.url(), prefix });
    const pool = ref.get(RedisPoolService);
    expect(pool.isReady).toBe(true);
    expect(pool.connectionName).toBe(`${prefix}:readthrough`);

    const key = `${prefix}:raw:k`;
    await expect(pool.ping()).resolves.toBeUndefined();
    await expect(pool.get(key)).resolves.toBeNull();
    await expect(pool.exists(key)).resolves.toBe(false);
    await expect(pool.pttl(key)).resolves.toBe(-2);

    await pool.set(key, Buffer.from([0, 1, 2, 255]), 10_000);
    const bytes = await pool.get(key);
    expect(Buffer.isBuffer(bytes)).toBe(true);
    expect([...bytes!]).toEqual([0, 1, 2, 255]);
    await expect(pool.exists(key)).resolves.toBe(true);
    const pttl = await pool.pttl(key);
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(10_000);

    await pool.set(`${prefix}:raw:s`, 'text', 1_500);
    await expect(pool.get(`${prefix}:raw:s`)).resolves.toEqual(Buffer.from('text'));

    // The server agrees: both keys carry an expiry.
    await withAdmin(redis.url(), async (admin) => {
      expect(await admin.pTTL(key)).toBeGreaterThan(0);
      expect(await admin.pTTL(`${prefix}:raw:s`)).toBeGreaterThan(0);
      expect(await admin.pTTL(`${prefix}:raw:s`)).toBeLessThanOrEqual(1_500);
    });

    await expect(pool.unlink(key)).resolves.toBe(1);
    await expect(pool.unlink(key)).resolves.toBe(0);
    await expect(pool.exists(key)).resolves.toBe(false);
    await flushPrefix(redis.url(), prefix);
  });

  it('entries written by @ReadThrough and RedisCacheService.set all have a TTL', async () => {
    const prefix = uniquePrefix('ttl');
    const ref = await boot({ url: redis.url(), prefix, ttl: '1h' });
    await ref.get(ItemService).item('a');
    await ref.get(RedisCacheService).set('manual', { v: 1 });
    await ref.get(RedisCacheService).set('short', { v: 2 }, { ttl: '2s' });
    const keys = await storedKeys(redis, prefix);
    expect(keys).toHaveLength(3);
    await withAdmin(redis.url(), async (admin) => {
      for (const key of keys) {
        const pttl = await admin.pTTL(key);
        expect(pttl).toBeGreaterThan(0);
        expect(pttl).toBeLessThanOrEqual(3_600_000);
      }
    });
    await flushPrefix(redis.url(), prefix);
  });

  it('execute(fn) runs commands and a MULTI transaction on a pooled connection', async () => {
    const prefix = uniquePrefix('execute');
    const ref = await boot({ url: redis.url(), prefix });
    const pool = ref.get(RedisPoolService);
    const counter = `${prefix}:counter`;

    await expect(pool.execute((client) => (client as RedisClientType).incr(counter))).resolves.toBe(1);
    await expect(pool.execute((client) => (client as RedisClientType).incr(counter))).resolves.toBe(2);

    const replies = await pool.execute((client) =>
      (client as RedisClientType).multi().incr(counter).incrBy(counter, 10).pExpire(counter, 60_000).exec(),
    );
    expect(replies).toEqual([3, 13, 1]);

    // The callback's connection is the pool's (it carries the pool's name), not some other client.
    const name = await pool.execute((client) => (client as RedisClientType).clientGetName());
    expect(name).toBe(pool.connectionName);

    // Errors from the callback propagate unchanged.
    await expect(pool.execute(async () => Promise.reject(new Error('boom from callback')))).rejects.toThrow(
      'boom from callback',
    );
    await expect(pool.execute((client) => (client as RedisClientType).get(counter))).resolves.toBe('13');
    await flushPrefix(redis.url(), prefix);
  });

  it('execute() rejects with RedisCacheConnectionError when no pooled connection frees up within pool.acquireTimeout', async () => {
    const prefix = uniquePrefix('acquire');
    const ref = await boot({ url: redis.url(), prefix, pool: { minimum: 1, maximum: 1, acquireTimeout: '200ms' } });
    const pool = ref.get(RedisPoolService);
    // The only pooled connection is busy for a second.
    const holding = pool.execute((client) => (client as RedisClientType).blPop(`${prefix}:empty`, 1));

    let called = false;
    const error = await rejectionOf(
      pool.execute(async () => {
        called = true;
      }),
    );
    expect(error).toBeInstanceOf(RedisCacheConnectionError);
    expect((error as Error).cause).toBeInstanceOf(Error);
    expect(called).toBe(false);
    await expect(holding).resolves.toBeNull();
  });

  it('pool { minimum: 3, maximum: 5 } opens at least 3 named connections', async () => {
    const prefix = uniquePrefix('poolsize');
    const ref = await boot({ url: redis.url(), prefix, pool: { minimum: 3, maximum: 5 } });
    const pool = ref.get(RedisPoolService);
    expect(await connectionsNamed(redis, pool.connectionName)).toBeGreaterThanOrEqual(3);

    // Under 8 concurrent blocking callbacks it grows to maximum, and never beyond maximum + the
    // multiplexed cache connection.
    const held = Promise.all(
      Array.from({ length: 8 }, () =>
        pool.execute((client) => (client as RedisClientType).blPop(`${prefix}:never`, 1.5)),
      ),
    );
    let during = 0;
    expect(
      await eventually(1_200, async () => {
        during = await connectionsNamed(redis, pool.connectionName);
        return during >= 5;
      }),
    ).toBe(true);
    expect(during).toBeLessThanOrEqual(5 + 1);
    await expect(held).resolves.toEqual(Array(8).fill(null));
  });

  it('app.close() lets in-flight calls complete, then closes every connection', async () => {
    const prefix = uniquePrefix('drain');
    const ref = await boot({ url: redis.url(), prefix, pool: { minimum: 2, maximum: 4 } });
    const pool = ref.get(RedisPoolService);
    const items = ref.get(ItemService);
    const name = pool.connectionName;
    await pool.set(`${prefix}:present`, 'v', 60_000);
    expect(await connectionsNamed(redis, name)).toBeGreaterThanOrEqual(2);

    // Issued just before close: a blocking command holding a pooled connection for 300 ms,
    // a cache GET on the multiplexed connection, and a read-through call.
    const blocking = pool.execute((client) => (client as RedisClientType).blPop(`${prefix}:empty`, 0.3));
    const read = pool.get(`${prefix}:present`);
    const cached = items.item('in-flight');
    await close(ref);

    await expect(blocking).resolves.toBeNull();
    await expect(read).resolves.toEqual(Buffer.from('v'));
    await expect(cached).resolves.toEqual({ id: 'in-flight', load: 1 });

    // The server may notice the closed sockets slightly later.
    expect(await eventually(2_000, async () => (await connectionsNamed(redis, name)) === 0)).toBe(true);
    expect(pool.isReady).toBe(false);
    // After shutdown the service refuses work instead of hanging.
    await expect(
      within(
        pool.get(`${prefix}:present`).catch((e: unknown) => e),
        2_000,
        'still pending',
      ),
    ).resolves.toBeInstanceOf(Error);
    await flushPrefix(redis.url(), prefix);
  });
});

describe('Redis failing after boot', () => {
  async function bootThenKill(
    options: Partial<RedisCacheModuleOptions>,
  ): Promise<{ ref: TestingModule; server: RedisServerHandle }> {
    const server = await startRedisServer();
    const ref = await boot({ url: server.url, prefix: uniquePrefix('killed'), ...options });
    expect(ref.get(RedisPoolService).isReady).toBe(true);
    await server.kill();
    return { ref, server };
  }

  it('failOpen: false makes the decorated method reject with RedisCacheConnectionError', async () => {
    const { ref } = await bootThenKill({ failOpen: false });
    const items = ref.get(ItemService);
    const error = await rejectionOf(items.item('x'));
    expect(error).toBeInstanceOf(RedisCacheConnectionError);
    // It failed on the read, before the method ran.
    expect(items.calls).toBe(0);
  });

  it('default failOpen returns the method value, uncached', async () => {
    const { ref } = await bootThenKill({});
    const items = ref.get(ItemService);
    await expect(items.item('x')).resolves.toEqual({ id: 'x', load: 1 });
    await expect(items.item('x')).resolves.toEqual({ id: 'x', load: 2 });
    expect(ref.get(RedisCacheService).stats().storeErrors).toBeGreaterThan(0);
  });

  it('execute() fails fast with RedisCacheConnectionError while Redis is down, without calling its callback', async () => {
    // An acquire timeout far beyond the wait below: only failing fast can answer in time.
    const { ref } = await bootThenKill({ pool: { acquireTimeout: '30s' } });
    const pool = ref.get(RedisPoolService);
    expect(await eventually(5_000, async () => !pool.isReady)).toBe(true);

    let called = false;
    const outcome = await within(
      rejectionOf(
        pool.execute(async (client) => {
          called = true;
          return (client as RedisClientType).ping();
        }),
      ),
      5_000,
      'still pending',
    );
    expect(outcome).toBeInstanceOf(RedisCacheConnectionError);
    expect(called).toBe(false);
  });

  it('a SIGSTOPped Redis does not hang a @ReadThrough call (default operationTimeout)', async () => {
    const server = await startRedisServer();
    const prefix = uniquePrefix('paused');
    const ref = await boot({ url: server.url, prefix });
    const items = ref.get(ItemService);
    await expect(items.item('warm')).resolves.toEqual({ id: 'warm', load: 1 });
    try {
      await server.pause();
      // Uncached: the method runs and its value is returned although Redis never answers.
      await expect(within(items.item('p'), 5_000, 'still pending')).resolves.toEqual({ id: 'p', load: 2 });
      // A key cached before the pause cannot be read either: the method runs again, correctly.
      await expect(within(items.item('warm'), 5_000, 'still pending')).resolves.toEqual({ id: 'warm', load: 3 });
      expect(ref.get(RedisCacheService).stats().storeErrors).toBeGreaterThan(0);
    } finally {
      server.resume();
    }
    // Once the server runs again the cache serves hits again.
    expect(
      await eventually(5_000, async () => {
        const before = items.calls;
        await items.item('after');
        return items.calls === before;
      }),
    ).toBe(true);
  });
});

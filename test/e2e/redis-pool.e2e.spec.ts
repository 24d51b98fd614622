/**
 * RedisPoolService against real redis-server processes: connecting at init, the narrow command
 * surface and the execute() escape hatch, pool sizing seen from the server (CLIENT LIST),
 * draining on app.close(), and faults after boot: a killed server (failOpen true / false) and a
 * SIGSTOPped one. Outages at boot and credentials in logs: redis-pool-outage.e2e.spec.ts.
 *
 * Fault cases use private servers (startRedisServer), never a shared REDIS_URL.
 */
import 'reflect-metadata';
import { Injectable, type LoggerService } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { createClient, type RedisClientType } from 'redis';
import {
  ReadThrough,
  RedisCacheConnectionError,
  RedisCacheModule,
  RedisCacheService,
  RedisPoolService,
  type RedisCacheModuleOptions,
} from '../../lib/index.js';
import { startRedisServer, stopAllRedisServers, type RedisServerHandle } from '../helpers/redis-server.js';
import { flushPrefix, uniquePrefix, useTestRedis } from '../helpers/test-redis.js';

const redis = useTestRedis();

@Injectable()
class ItemService {
  calls = 0;

  @ReadThrough('item:{0}', '1m')
  async item(id: string): Promise<{ id: string; load: number }> {
    this.calls++;
    return { id, load: this.calls };
  }
}

/** Keeps every line the Nest logger is given, at every level. */
class CapturingLogger implements LoggerService {
  readonly lines: string[] = [];
  private keep(level: string, parts: unknown[]): void {
    this.lines.push(`${level} ${parts.map((p) => (p instanceof Error ? `${p.name}: ${p.message}\n${p.stack}` : String(p))).join(' ')}`);
  }
  log(message: unknown, ...rest: unknown[]): void {
    this.keep('log', [message, ...rest]);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.keep('error', [message, ...rest]);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.keep('warn', [message, ...rest]);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.keep('debug', [message, ...rest]);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.keep('verbose', [message, ...rest]);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.keep('fatal', [message, ...rest]);
  }
}

const open = new Set<TestingModule>();

afterEach(async () => {
  // A failed expectation must not leak connections into the next test.
  for (const ref of open) await ref.close();
  open.clear();
});

afterAll(async () => {
  await stopAllRedisServers();
});

async function compile(options: RedisCacheModuleOptions, logger: LoggerService = new CapturingLogger()): Promise<TestingModule> {
  const ref = await Test.createTestingModule({ imports: [RedisCacheModule.forRoot(options)], providers: [ItemService] })
    .setLogger(logger)
    .compile();
  open.add(ref);
  return ref;
}

async function boot(options: RedisCacheModuleOptions, logger?: LoggerService): Promise<TestingModule> {
  const ref = await compile(options, logger);
  await ref.init();
  return ref;
}

async function close(ref: TestingModule): Promise<void> {
  open.delete(ref);
  await ref.close();
}

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

/** How many connections the server lists with `name=<name>`. */
async function connectionsNamed(url: string, name: string): Promise<number> {
  const list = String(await withAdmin(url, (c) => c.sendCommand(['CLIENT', 'LIST'])));
  return list.split('\n').filter((line) => / name=(\S*)/.exec(line)?.[1] === name).length;
}

/** Polls `check` every 50 ms until it is true or `ms` passed; resolves the last result. */
async function eventually(ms: number, check: () => Promise<boolean>): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Resolves with the promise's outcome, or 'still pending' after `ms`; leaves no timer behind. */
async function settleWithin<T>(promise: Promise<T>, ms: number): Promise<T | 'still pending'> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<'still pending'>((resolve) => (timer = setTimeout(resolve, ms, 'still pending')))]);
  } finally {
    clearTimeout(timer);
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
    await withAdmin(redis.url(), async (admin) => {
      const keys: string[] = [];
      for await (const batch of admin.scanIterator({ MATCH: `${prefix}:*` })) keys.push(...batch);
      expect(keys).toHaveLength(3);
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
    await expect(pool.execute(async () => Promise.reject(new Error('boom from callback')))).rejects.toThrow('boom from callback');
    await expect(pool.execute((client) => (client as RedisClientType).get(counter))).resolves.toBe('13');
    await flushPrefix(redis.url(), prefix);
  });

  it('pool { minimum: 3, maximum: 5 } opens at least 3 named connections', async () => {
    const prefix = uniquePrefix('poolsize');
    const ref = await boot({ url: redis.url(), prefix, pool: { minimum: 3, maximum: 5 } });
    const pool = ref.get(RedisPoolService);
    expect(await connectionsNamed(redis.url(), pool.connectionName)).toBeGreaterThanOrEqual(3);

    // Under 8 concurrent blocking callbacks it grows to maximum, and never beyond maximum + the
    // multiplexed cache connection.
    const held = Promise.all(
      Array.from({ length: 8 }, () => pool.execute((client) => (client as RedisClientType).blPop(`${prefix}:never`, 1.5))),
    );
    let during = 0;
    expect(
      await eventually(1_200, async () => {
        during = await connectionsNamed(redis.url(), pool.connectionName);
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
    expect(await connectionsNamed(redis.url(), name)).toBeGreaterThanOrEqual(2);

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
    expect(await eventually(2_000, async () => (await connectionsNamed(redis.url(), name)) === 0)).toBe(true);
    expect(pool.isReady).toBe(false);
    // After shutdown the service refuses work instead of hanging.
    await expect(settleWithin(pool.get(`${prefix}:present`).catch((e: unknown) => e), 2_000)).resolves.toBeInstanceOf(Error);
    await flushPrefix(redis.url(), prefix);
  });
});

describe('Redis failing after boot', () => {
  async function bootThenKill(options: Partial<RedisCacheModuleOptions>): Promise<{ ref: TestingModule; server: RedisServerHandle }> {
    const server = await startRedisServer();
    const ref = await boot({ url: server.url, prefix: uniquePrefix('killed'), ...options });
    expect(ref.get(RedisPoolService).isReady).toBe(true);
    await server.kill();
    return { ref, server };
  }

  it('failOpen: false makes the decorated method reject with RedisCacheConnectionError', async () => {
    const { ref } = await bootThenKill({ failOpen: false });
    const items = ref.get(ItemService);
    const error = await items.item('x').then(
      () => undefined,
      (e: unknown) => e,
    );
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

  it('a SIGSTOPped Redis does not hang a @ReadThrough call (default operationTimeout)', async () => {
    const server = await startRedisServer();
    const prefix = uniquePrefix('paused');
    const ref = await boot({ url: server.url, prefix });
    const items = ref.get(ItemService);
    await expect(items.item('warm')).resolves.toEqual({ id: 'warm', load: 1 });
    try {
      await server.pause();
      // Uncached: the method runs and its value is returned although Redis never answers.
      await expect(settleWithin(items.item('p'), 5_000)).resolves.toEqual({ id: 'p', load: 2 });
      // A key cached before the pause cannot be read either: the method runs again, correctly.
      await expect(settleWithin(items.item('warm'), 5_000)).resolves.toEqual({ id: 'warm', load: 3 });
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

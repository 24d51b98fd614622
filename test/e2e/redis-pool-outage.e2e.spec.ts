/**
 * RedisPoolService when Redis is unreachable at bootstrap: the app still starts and serves
 * uncached, caching resumes once Redis is back, requireConnectionOnBootstrap refuses to start,
 * failOpen: false throws; and credentials in the URL never reach the Nest logs.
 * (Split from redis-pool.e2e.spec.ts because every boot against a dead Redis waits out the
 * library's 2 s bootstrap connect window, and every close its 2 s drain window.)
 *
 * Fault cases use private servers (startRedisServer), never a shared REDIS_URL.
 */
import 'reflect-metadata';
import { createServer, type Server } from 'node:net';
import { CapturingLogger } from '@nestjs/testing';
import type { RedisClientType } from 'redis';
import { RedisCacheConnectionError, RedisCacheService, RedisPoolService } from '../../lib/index.js';
import { freePort } from '../helpers/free-port.js';
import { ItemService, trackItemModules } from '../helpers/item-service.fixture.js';
import { loggedText } from '../helpers/nest-testing.helper.js';
import { eventually, rejectionOf } from '../helpers/polling.helper.js';
import { startRedisServer, stopAllRedisServers } from '../helpers/redis-server.js';
import { uniquePrefix, useTestRedis } from '../helpers/test-redis.js';

const redis = useTestRedis();
const { compile, boot, close } = trackItemModules();

afterAll(async () => {
  await stopAllRedisServers();
});

describe('RedisPoolService when Redis is down at bootstrap', () => {
  it('boots while Redis is down, serves uncached, and starts caching once Redis is back', async () => {
    const server = await startRedisServer();
    await server.kill();
    const prefix = uniquePrefix('down-at-boot');
    const ref = await boot({ url: server.url, prefix });
    const pool = ref.get(RedisPoolService);
    const items = ref.get(ItemService);
    expect(pool.isReady).toBe(false);

    // Default failOpen: correct values, and nothing is cached: a later call runs the method again.
    await expect(items.item('a')).resolves.toEqual({ id: 'a', load: 1 });
    await expect(items.item('a')).resolves.toEqual({ id: 'a', load: 2 });
    expect(items.calls).toBe(2);

    await server.restart();
    // Within a bounded wait the method starts caching: some call is a hit (the method did not run).
    const cachingAgain = await eventually(5_000, async () => {
      const before = items.calls;
      const value = await items.item('b');
      expect(value.id).toBe('b');
      return items.calls === before;
    });
    expect(cachingAgain).toBe(true);
    // The hit returned the stored value, and a further call is a hit as well.
    const stable = await items.item('b');
    await expect(items.item('b')).resolves.toEqual(stable);
    expect(pool.isReady).toBe(true);
    // The execute() lane recovered too.
    await expect(pool.execute((client) => (client as RedisClientType).ping())).resolves.toBe('PONG');
  });

  it('requireConnectionOnBootstrap: true makes init reject with RedisCacheConnectionError', async () => {
    const closedPort = await freePort();
    const ref = await compile({
      url: `redis://127.0.0.1:${closedPort}`,
      prefix: uniquePrefix('require'),
      requireConnectionOnBootstrap: true,
    });
    const error = await rejectionOf(ref.init());
    expect(error).toBeInstanceOf(RedisCacheConnectionError);
    expect((error as RedisCacheConnectionError).code).toBe('E_REDIS_CACHE_CONNECTION');
  });

  it('requireConnectionOnBootstrap: true boots normally when Redis is up', async () => {
    const ref = await boot({
      url: redis.url(),
      prefix: uniquePrefix('require-up'),
      requireConnectionOnBootstrap: true,
    });
    expect(ref.get(RedisPoolService).isReady).toBe(true);
  });

  describe('failOpen with Redis down at boot', () => {
    it('failOpen: false makes the decorated method reject with RedisCacheConnectionError', async () => {
      const closedPort = await freePort();
      const ref = await boot({
        url: `redis://127.0.0.1:${closedPort}`,
        prefix: uniquePrefix('failclosed'),
        failOpen: false,
      });
      const items = ref.get(ItemService);
      const error = await rejectionOf(items.item('x'));
      expect(error).toBeInstanceOf(RedisCacheConnectionError);
      expect(items.calls).toBe(0);
    });
    // Default failOpen with Redis down at boot: covered by the first test of this describe.
  });
});

describe('credentials never reach logs', () => {
  it('a password in the URL of an unreachable Redis occurs 0 times in the captured logs', async () => {
    const closedPort = await freePort();
    const logger = new CapturingLogger();
    const ref = await boot(
      { url: `redis://user:s3cr3t-pw@127.0.0.1:${closedPort}`, prefix: uniquePrefix('creds') },
      logger,
    );
    const items = ref.get(ItemService);
    await expect(items.item('a')).resolves.toEqual({ id: 'a', load: 1 });
    await ref.get(RedisCacheService).get('k');
    await close(ref);
    const text = loggedText(logger);
    // The capture works: the outage itself was logged.
    expect(text).toMatch(/ECONNREFUSED|not reachable/);
    expect(text.split('s3cr3t-pw').length - 1).toBe(0);
  });

  it('a wrong password against a reachable Redis occurs 0 times in the captured logs', async () => {
    const server = await startRedisServer();
    await server.command('CONFIG', 'SET', 'requirepass', 'the-right-one');
    const logger = new CapturingLogger();
    const prefix = uniquePrefix('wrongpass');
    const ref = await boot({ url: `redis://default:s3cr3t-pw@127.0.0.1:${server.port}`, prefix }, logger);
    const items = ref.get(ItemService);
    await expect(items.item('a')).resolves.toEqual({ id: 'a', load: 1 });
    await close(ref);
    const text = loggedText(logger);
    expect(text).toMatch(/WRONGPASS|not reachable/);
    expect(text.split('s3cr3t-pw').length - 1).toBe(0);
  });
});

describe('shutdown while Redis is unreachable', () => {
  // Kept last in the file on purpose: its wait also outlasts node-redis' reconnect backoff sleep
  // (timers/promises setTimeout, capped at 2 s by the library's strategy) of the apps closed by
  // the tests above, which cannot be cancelled and would otherwise outlive the run by up to 2 s.
  it('app.close() stops reconnecting: no connection attempt reaches the port afterwards', async () => {
    let attempts = 0;
    // Accepts and drops every connection: to node-redis a Redis that keeps failing the handshake.
    const port = await freePort();
    const dropper: Server = createServer((socket) => {
      attempts++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => dropper.listen(port, '127.0.0.1', resolve));
    try {
      const ref = await boot({ url: `redis://127.0.0.1:${port}`, prefix: uniquePrefix('stop-retrying') });
      expect(ref.get(RedisPoolService).isReady).toBe(false);
      await expect(ref.get(ItemService).item('a')).resolves.toEqual({ id: 'a', load: 1 });
      // It really was retrying while open.
      expect(attempts).toBeGreaterThan(1);
      await close(ref);
      const atClose = attempts;
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      expect(attempts).toBe(atClose);
    } finally {
      await new Promise<void>((resolve) => dropper.close(() => resolve()));
    }
  });
});

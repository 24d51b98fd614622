/**
 * Checks the Redis test helpers against real `redis-server` processes: if these lie, every
 * fault-injection test built on them proves nothing. Always uses private servers (never
 * REDIS_URL for the fault cases), so it is safe next to a shared Redis.
 */
import { connect } from 'node:net';
import { createClient, createCluster, createSentinel } from 'redis';
import { within } from '../helpers/polling.helper.js';
import { startRedisCluster, startRedisSentinel } from '../helpers/redis-cluster.js';
import { startRedisServer, stopAllRedisServers, type RedisServerHandle } from '../helpers/redis-server.js';
import { flushPrefix, uniquePrefix, useTestRedis } from '../helpers/test-redis.js';

/** Opens a raw TCP connection: 'connected', an errno code such as 'ECONNREFUSED', or 'timeout'. */
function tryConnect(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.setTimeout(1_000, () => {
      socket.destroy();
      resolve('timeout');
    });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      socket.destroy();
      resolve(err.code ?? err.message);
    });
  });
}

afterAll(async () => {
  await stopAllRedisServers();
});

describe('startRedisServer', () => {
  let server: RedisServerHandle;

  beforeAll(async () => {
    server = await startRedisServer();
  });

  it('starts a private server that answers PING', async () => {
    expect(server.url).toBe(`redis://127.0.0.1:${server.port}`);
    expect(server.port).not.toBe(6379);
    expect(server.pid).not.toBe(process.pid);
    expect(server.running).toBe(true);
    await expect(server.command('PING')).resolves.toBe('PONG');
  });

  it('applies extra args', async () => {
    const tuned = await startRedisServer({ args: ['--maxmemory', '2mb', '--maxmemory-policy', 'allkeys-lru'] });
    await expect(tuned.command('CONFIG', 'GET', 'maxmemory')).resolves.toBe('maxmemory\n2097152');
    await expect(tuned.command('CONFIG', 'GET', 'maxmemory-policy')).resolves.toBe('maxmemory-policy\nallkeys-lru');
    await tuned.stop();
  });

  it('pause() stalls a client until resume()', async () => {
    const client = createClient({ url: server.url, socket: { reconnectStrategy: false } });
    client.on('error', () => undefined);
    await client.connect();
    try {
      await client.set('paused-key', 'v1');
      await server.pause();
      const pending = client.get('paused-key');
      await expect(within(pending, 300, 'timeout')).resolves.toBe('timeout');
      server.resume();
      await expect(within(pending, 5_000, 'timeout')).resolves.toBe('v1');
    } finally {
      server.resume();
      await client.close();
    }
  });

  it('kill() makes the port refuse connections', async () => {
    const pid = server.pid;
    await server.kill();
    expect(server.running).toBe(false);
    expect(server.pid).toBe(pid);
    await expect(tryConnect(server.port)).resolves.toBe('ECONNREFUSED');
  });

  it('restart() brings a fresh, empty process back on the same port', async () => {
    const oldPid = server.pid;
    const port = server.port;
    await server.restart();
    expect(server.port).toBe(port);
    expect(server.pid).not.toBe(oldPid);
    await expect(server.command('PING')).resolves.toBe('PONG');
    // No persistence: the key written before the kill is gone (redis-cli prints nil as '').
    await expect(server.command('GET', 'paused-key')).resolves.toBe('');
  });

  it('stop() shuts down gracefully, is idempotent, and works on a paused server', async () => {
    await server.pause();
    await server.stop();
    await server.stop();
    expect(server.running).toBe(false);
    await expect(tryConnect(server.port)).resolves.toBe('ECONNREFUSED');
  });
});

describe('useTestRedis / uniquePrefix / flushPrefix', () => {
  const redis = useTestRedis();

  it('uniquePrefix is unique and free of separators', () => {
    const a = uniquePrefix('flush');
    expect(a).toMatch(/^t-flush-[0-9a-f]{8}$/);
    expect(uniquePrefix('flush')).not.toBe(a);
    expect(uniquePrefix('a:b *')).toMatch(/^t-a-b---[0-9a-f]{8}$/);
  });

  it('flushPrefix removes only keys under <prefix>:', async () => {
    const server = redis.server();
    if (server !== undefined) expect(redis.url()).toBe(server.url);
    const prefix = uniquePrefix('flush');
    const other = uniquePrefix('keep');
    const client = createClient({ url: redis.url(), socket: { reconnectStrategy: false } });
    client.on('error', () => undefined);
    await client.connect();
    try {
      await client.mSet({
        [`${prefix}:a`]: '1',
        [`${prefix}:b`]: '2',
        [`${prefix}:c:d`]: '3',
        [prefix]: 'bare',
        [`${other}:a`]: 'x',
      });
      await expect(flushPrefix(redis.url(), prefix)).resolves.toBe(3);
      expect(await client.exists([`${prefix}:a`, `${prefix}:b`, `${prefix}:c:d`])).toBe(0);
      expect(await client.get(prefix)).toBe('bare');
      expect(await client.get(`${other}:a`)).toBe('x');
    } finally {
      await client.del([prefix, `${other}:a`]);
      await client.close();
    }
  });
});

describe('startRedisCluster', () => {
  it('yields a working 3-master cluster', async () => {
    const cluster = await startRedisCluster({ masters: 3 });
    const client = createCluster({ rootNodes: cluster.rootNodes });
    client.on('error', () => undefined);
    try {
      expect(cluster.rootNodes).toHaveLength(3);
      await client.connect();
      const prefix = uniquePrefix('cluster');
      const keys = Array.from({ length: 20 }, (_, i) => `${prefix}:${i}`);
      for (const key of keys) await client.set(key, `v-${key}`);
      for (const key of keys) expect(await client.get(key)).toBe(`v-${key}`);
      // The keys really are sharded: more than one master holds some of them.
      const sizes = await Promise.all(cluster.nodes.map(async (node) => Number(await node.command('DBSIZE'))));
      expect(sizes.reduce((sum, n) => sum + n, 0)).toBe(20);
      expect(sizes.filter((n) => n > 0).length).toBeGreaterThan(1);
    } finally {
      await client.close();
      await cluster.stop();
    }
    expect(cluster.nodes.every((node) => !node.running)).toBe(true);
  });
});

describe('startRedisSentinel', () => {
  it('lets a sentinel client find the master and SET/GET', async () => {
    const setup = await startRedisSentinel();
    const client = createSentinel({ name: setup.masterName, sentinelRootNodes: setup.sentinels });
    client.on('error', () => undefined);
    try {
      expect(setup.masterName).toBe('mymaster');
      await client.connect();
      const key = `${uniquePrefix('sentinel')}:k`;
      await client.set(key, 'via-sentinel');
      expect(await client.get(key)).toBe('via-sentinel');
      // The write went to the monitored master, not somewhere else.
      await expect(setup.master.command('GET', key)).resolves.toBe('via-sentinel');
    } finally {
      await client.close();
      await setup.stop();
    }
    expect(setup.master.running).toBe(false);
    expect(setup.sentinel.running).toBe(false);
  });
});

describe('stopAllRedisServers', () => {
  it('ends every server this file started', async () => {
    const a = await startRedisServer();
    const b = await startRedisServer();
    await b.pause();
    await stopAllRedisServers();
    expect(a.running).toBe(false);
    expect(b.running).toBe(false);
    await expect(tryConnect(a.port)).resolves.toBe('ECONNREFUSED');
    await expect(tryConnect(b.port)).resolves.toBe('ECONNREFUSED');
  });
});

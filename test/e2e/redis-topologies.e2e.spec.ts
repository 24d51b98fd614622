/**
 * RedisCacheModule on the other node-redis topologies: a private 3-master Redis Cluster
 * (createCluster) and a master watched by one Sentinel (createSentinel). Both are started by
 * the test helpers on free ports and stopped afterwards.
 */
import 'reflect-metadata';
import type { RedisClientType } from 'redis';
import { RedisCacheService, RedisPoolService } from '../../lib/index.js';
import { ItemService, trackItemModules } from '../helpers/item-service.fixture.js';
import { storedKeys } from '../helpers/redis-cli.helper.js';
import {
  startRedisCluster,
  startRedisSentinel,
  type RedisClusterHandle,
  type RedisSentinelHandle,
} from '../helpers/redis-cluster.js';
import { uniquePrefix } from '../helpers/test-redis.js';

// Nest's bootstrap chatter is captured, not printed; errors still fail the tests through their promises.
const { boot, close } = trackItemModules();

describe('Redis Cluster', () => {
  let cluster: RedisClusterHandle;

  beforeAll(async () => {
    cluster = await startRedisCluster({ masters: 3 });
  }, 40_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  it('@ReadThrough misses then hits for keys in different slots, on different masters', async () => {
    const prefix = uniquePrefix('cluster');
    const ref = await boot({ cluster: { rootNodes: [{ url: cluster.rootNodes[0].url }] }, prefix });
    expect(ref.get(RedisPoolService).isReady).toBe(true);
    const items = ref.get(ItemService);
    const ids = Array.from({ length: 24 }, (_, i) => `id-${i}`);

    for (const [i, id] of ids.entries()) await expect(items.item(id)).resolves.toEqual({ id, load: i + 1 });
    expect(items.calls).toBe(ids.length);
    for (const [i, id] of ids.entries()) await expect(items.item(id)).resolves.toEqual({ id, load: i + 1 });
    expect(items.calls).toBe(ids.length);
    expect(ref.get(RedisCacheService).stats()).toMatchObject({ hits: ids.length, misses: ids.length, storeErrors: 0 });

    // The entries really are spread over the cluster: several masters hold some, all have a TTL.
    const perNode = await Promise.all(cluster.nodes.map((node) => storedKeys(node, prefix)));
    expect(perNode.flat()).toHaveLength(ids.length);
    expect(perNode.filter((keys) => keys.length > 0).length).toBeGreaterThan(1);
    const slots = new Set(
      await Promise.all(perNode.flat().map((key) => cluster.nodes[0].command('CLUSTER', 'KEYSLOT', key))),
    );
    expect(slots.size).toBeGreaterThan(1);
    for (const [n, keys] of perNode.entries()) {
      for (const key of keys) expect(Number(await cluster.nodes[n].command('PTTL', key))).toBeGreaterThan(0);
    }
  });

  it('tags across slots: invalidateTags in one app drops the tagged entries in another, wherever they live; no store error', async () => {
    const prefix = uniquePrefix('cluster-tags');
    const options = { cluster: { rootNodes: cluster.rootNodes }, prefix };
    const a = (await boot(options)).get(RedisCacheService);
    const b = (await boot(options)).get(RedisCacheService);
    const ids = Array.from({ length: 24 }, (_, i) => i);
    let runs = 0;
    const load = (cache: RedisCacheService, id: number) =>
      cache.wrap(`item:${id}`, async () => ({ id, run: ++runs }), { tags: ['all', `parity:${id % 2}`] });
    for (const id of ids) await load(a, id);
    for (const id of ids) await load(b, id);
    expect(runs).toBe(24);

    const perNode = await Promise.all(cluster.nodes.map((node) => storedKeys(node, prefix)));
    const keys = perNode.flat();
    const tagKeys = keys.filter((key) => key.includes('__tags__'));
    const entryKeys = keys.filter((key) => !key.includes('__tags__'));
    expect(tagKeys).toHaveLength(3);
    const slotOf = (key: string) => cluster.nodes[0].command('CLUSTER', 'KEYSLOT', key);
    const tagSlots = new Set(await Promise.all(tagKeys.map(slotOf)));
    const entrySlots = new Set(await Promise.all(entryKeys.map(slotOf)));
    // One slot for every tag key (MGET / UNLINK are single-slot); the entries spread over many.
    expect(tagSlots.size).toBe(1);
    expect(entrySlots.size).toBeGreaterThan(1);

    await a.invalidateTags(['parity:1']);
    for (const id of ids) {
      const value = await load(b, id);
      expect(value.run > 24).toBe(id % 2 === 1);
    }
    expect(runs).toBe(36);
    expect(a.stats().storeErrors + b.stats().storeErrors).toBe(0);
  });

  it('RedisCacheService.clear() removes the prefix keys on every master and nothing else', async () => {
    const prefix = uniquePrefix('cluster-clear');
    const other = uniquePrefix('cluster-keep');
    const ref = await boot({ cluster: { rootNodes: cluster.rootNodes }, prefix });
    const otherRef = await boot({ cluster: { rootNodes: cluster.rootNodes }, prefix: other });
    try {
      const items = ref.get(ItemService);
      const ids = Array.from({ length: 30 }, (_, i) => `c-${i}`);
      for (const id of ids) await items.item(id);
      for (const id of ids.slice(0, 10)) await otherRef.get(ItemService).item(id);
      const before = await Promise.all(cluster.nodes.map((node) => storedKeys(node, prefix)));
      expect(before.filter((keys) => keys.length > 0).length).toBeGreaterThan(1);

      await expect(ref.get(RedisCacheService).clear()).resolves.toBe(ids.length);

      const after = await Promise.all(cluster.nodes.map((node) => storedKeys(node, prefix)));
      expect(after.flat()).toEqual([]);
      // Another app's prefix on the same cluster is untouched.
      const kept = await Promise.all(cluster.nodes.map((node) => storedKeys(node, other)));
      expect(kept.flat()).toHaveLength(10);
      // And the cleared entries are misses again.
      const calls = items.calls;
      await items.item('c-0');
      expect(items.calls).toBe(calls + 1);
    } finally {
      await close(otherRef);
    }
  });

  it('execute(fn) hands out the cluster client', async () => {
    const prefix = uniquePrefix('cluster-exec');
    const ref = await boot({ cluster: { rootNodes: cluster.rootNodes }, prefix });
    const pool = ref.get(RedisPoolService);
    const key = `${prefix}:counter`;
    await expect(pool.execute((client) => (client as unknown as RedisClientType).incr(key))).resolves.toBe(1);
    await expect(pool.execute((client) => (client as unknown as RedisClientType).incr(key))).resolves.toBe(2);
    await pool.unlink(key);
  });
});

describe('Redis Sentinel', () => {
  let sentinel: RedisSentinelHandle;

  beforeAll(async () => {
    sentinel = await startRedisSentinel();
  }, 20_000);

  afterAll(async () => {
    await sentinel?.stop();
  });

  it('caches through the master found by the sentinel', async () => {
    const prefix = uniquePrefix('sentinel');
    const ref = await boot({ sentinel: { name: sentinel.masterName, sentinelRootNodes: sentinel.sentinels }, prefix });
    expect(ref.get(RedisPoolService).isReady).toBe(true);
    const items = ref.get(ItemService);
    await expect(items.item('a')).resolves.toEqual({ id: 'a', load: 1 });
    await expect(items.item('a')).resolves.toEqual({ id: 'a', load: 1 });
    await expect(items.item('b')).resolves.toEqual({ id: 'b', load: 2 });
    expect(items.calls).toBe(2);

    // The entries are on the monitored master, with a TTL.
    const keys = await storedKeys(sentinel.master, prefix);
    expect(keys).toHaveLength(2);
    for (const key of keys) expect(Number(await sentinel.master.command('PTTL', key))).toBeGreaterThan(0);

    // execute() leases a master connection.
    const pool = ref.get(RedisPoolService);
    await expect(
      pool.execute((client) => (client as unknown as RedisClientType).dbSize()),
    ).resolves.toBeGreaterThanOrEqual(2);
  });

  it('RedisCacheService.clear() removes the prefix keys on the master', async () => {
    const prefix = uniquePrefix('sentinel-clear');
    const ref = await boot({ sentinel: { name: sentinel.masterName, sentinelRootNodes: sentinel.sentinels }, prefix });
    const cache = ref.get(RedisCacheService);
    await cache.set('a', 1);
    await cache.set('b', 2);
    expect(await storedKeys(sentinel.master, prefix)).toHaveLength(2);

    await expect(cache.clear()).resolves.toBe(2);
    expect(await storedKeys(sentinel.master, prefix)).toEqual([]);
    await expect(cache.has('a')).resolves.toBe(false);
  });
});

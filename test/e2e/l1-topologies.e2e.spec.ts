/**
 * The L1 (README "L1") on a Redis Cluster (3 masters, 1 replica each: every node client tracks
 * its own reads) and behind Sentinel (a broadcast-tracking connection of the L1's own on the
 * master). Two app instances share a prefix; A (or a raw client on a node) changes what B holds
 * in its L1, and B must stop serving the old value: writes, deletes and expiries on every master,
 * a killed connection, a change made while B's connection is down, and a failover. Every scenario
 * first proves B was serving from its L1 (hits counted, no GET), and ends with no stale value.
 */
import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import { createClient } from 'redis';
import { ReadThrough, RedisCacheService, type RedisCacheModuleOptions } from '../../lib/index.js';
import { cacheTestingModule, trackTestingModules } from '../helpers/nest-testing.helper.js';
import { eventually } from '../helpers/polling.helper.js';
import { masterOfSlot, startRedisCluster, type RedisClusterHandle } from '../helpers/redis-cluster.js';
import { startRedisSentinel, type RedisSentinelHandle } from '../helpers/redis-sentinel.js';
import type { RedisServerHandle } from '../helpers/redis-server.js';
import { uniquePrefix } from '../helpers/test-redis.js';

/** The "database" both instances read through their cache. */
const db = new Map<string, string>();

@Injectable()
class ItemService {
  @ReadThrough('item:{0}', '1m')
  async item(id: string): Promise<{ id: string; title: string }> {
    return { id, title: db.get(id) ?? 'none' };
  }
}

interface Instance {
  svc: ItemService;
  cache: RedisCacheService;
}

const modules = trackTestingModules();

async function instance(options: RedisCacheModuleOptions): Promise<Instance> {
  const ref = await modules.boot(cacheTestingModule({ operationTimeout: '2s', l1: true, ...options }, [ItemService]));
  const cache = ref.get(RedisCacheService);
  // Tracking is confirmed on every tracked connection before the L1 serves.
  expect(await eventually(10_000, () => cache.stats().l1Live === true, 50)).toBe(true);
  return { svc: ref.get(ItemService), cache };
}

/** Stores `ids` with their db titles and reads them until each is an L1 hit: proves B holds them in L1. */
async function holdInL1(b: Instance, ids: string[]): Promise<void> {
  for (const id of ids) {
    const held = await eventually(5_000, async () => {
      await b.svc.item(id);
      const hits = b.cache.stats().l1Hits!;
      expect((await b.svc.item(id)).title).toBe(db.get(id));
      return b.cache.stats().l1Hits! === hits + 1;
    });
    expect({ id, held }).toEqual({ id, held: true });
  }
}

/** Reads until B serves `title` for `id` (bounded: the push is on its way), then checks it keeps doing so. */
async function servesOnly(b: Instance, id: string, title: string): Promise<void> {
  const seen = await eventually(3_000, async () => (await b.svc.item(id)).title === title, 5);
  expect({ id, seen }).toEqual({ id, seen: true });
  for (let i = 0; i < 20; i++) expect({ id, title: (await b.svc.item(id)).title }).toEqual({ id, title });
}

/** A plain connection to one server, for commands the cache's connections must not see coming. */
interface RawClient {
  sendCommand(args: string[]): Promise<unknown>;
  configGet(parameter: string): Promise<Record<string, string>>;
}

/** The ids of the connections named `name` on the server `raw` is connected to. */
async function namedIds(raw: RawClient, name: string): Promise<string[]> {
  return String(await raw.sendCommand(['CLIENT', 'LIST']))
    .split('\n')
    .filter((line) => line.includes(` name=${name} `))
    .map((line) => /id=(\d+)/.exec(line)![1]);
}

/** Kills every connection named `name` on the server `raw` is connected to; resolves how many. */
async function killNamed(raw: RawClient, name: string): Promise<number> {
  const ids = await namedIds(raw, name);
  for (const id of ids) await raw.sendCommand(['CLIENT', 'KILL', 'ID', id]);
  return ids.length;
}

/** Runs `fn` with a plain client on `node` (not the cache's), closed afterwards. */
async function withRaw<T>(node: RedisServerHandle, fn: (raw: RawClient) => Promise<T>): Promise<T> {
  const raw = createClient({ url: node.url });
  await raw.connect();
  try {
    return await fn(raw);
  } finally {
    await raw.close();
  }
}

/** Sets each id's db title to `<id>-<suffix>`; returns the ids. */
function setDb(ids: string[], suffix: string): string[] {
  for (const id of ids) db.set(id, `${id}-${suffix}`);
  return ids;
}

/**
 * Kills B's connections to `node`, refuses every new connection there (maxclients 1) while
 * `during` changes keys through `raw` (connected beforehand), then lets B back in.
 */
async function whileBIsCutOff(
  node: RedisServerHandle,
  b: Instance,
  name: string,
  during: (raw: RawClient) => Promise<void>,
): Promise<void> {
  await withRaw(node, async (raw) => {
    const { maxclients } = await raw.configGet('maxclients');
    try {
      // First no new connection (the raw one is in), then B's are dropped: B cannot come back.
      await raw.sendCommand(['CONFIG', 'SET', 'maxclients', '1']);
      expect(await killNamed(raw, name)).toBeGreaterThan(0);
      // B noticed (no push can reach it now) before anything changes.
      expect(await eventually(5_000, () => b.cache.stats().l1Live === false)).toBe(true);
      await during(raw);
    } finally {
      await raw.sendCommand(['CONFIG', 'SET', 'maxclients', maxclients]);
    }
  });
}

describe('L1 on a Redis Cluster (3 masters, 3 replicas)', () => {
  let cluster: RedisClusterHandle;
  beforeAll(async () => {
    cluster = await startRedisCluster({ masters: 3, replicas: 1 });
  }, 60_000);
  afterAll(() => cluster?.stop());

  const options = (prefix: string, name: string): RedisCacheModuleOptions => ({
    cluster: { rootNodes: cluster.rootNodes, defaults: { name } },
    prefix,
  });

  /** The master node that holds `key` now. */
  async function ownerOf(key: string): Promise<RedisServerHandle> {
    const slot = Number(await cluster.nodes[0].command('CLUSTER', 'KEYSLOT', key));
    return masterOfSlot(await cluster.topology(), slot)!.server!;
  }

  /** Ids whose keys are spread over every master, two per master. */
  async function idsOnEveryMaster(prefix: string): Promise<{ ids: string[]; owners: Map<string, RedisServerHandle> }> {
    const owners = new Map<string, RedisServerHandle>();
    const perMaster = new Map<number, number>();
    for (let i = 0; owners.size < 6 && i < 200; i++) {
      const id = `id${i}`;
      const owner = await ownerOf(`${prefix}:default:item:${id}`);
      if ((perMaster.get(owner.port) ?? 0) >= 2) continue;
      perMaster.set(owner.port, (perMaster.get(owner.port) ?? 0) + 1);
      owners.set(id, owner);
    }
    expect(perMaster.size).toBe(3);
    return { ids: [...owners.keys()], owners };
  }

  it('writes by A, and DEL / PEXPIRE / FLUSHALL on the node itself, reach B on every master', async () => {
    const prefix = uniquePrefix('l1-cluster');
    const a = await instance(options(prefix, 'a'));
    const b = await instance(options(prefix, 'b'));
    const { ids, owners } = await idsOnEveryMaster(prefix);
    setDb(ids, 'v1');
    await holdInL1(b, ids);

    for (const id of ids) await a.cache.set(`item:${id}`, { id, title: `${id}-v2` });
    for (const id of ids) await servesOnly(b, id, `${id}-v2`);

    await holdInL1(b, setDb(ids, 'v2'));
    for (const [n, id] of ids.entries()) {
      db.set(id, `${id}-v3`);
      const key = `${prefix}:default:item:${id}`;
      await owners.get(id)!.command(n % 2 === 0 ? 'DEL' : 'PEXPIRE', key, ...(n % 2 === 0 ? [] : ['20']));
    }
    for (const id of ids) await servesOnly(b, id, `${id}-v3`);
    expect(b.cache.stats().l1Invalidations).toBeGreaterThanOrEqual(ids.length * 2);

    // FLUSHALL on one master: its push says "everything", and B drops everything it holds.
    await holdInL1(b, setDb(ids, 'v3'));
    const flushes = b.cache.stats().l1Flushes!;
    setDb(ids, 'v4');
    await owners.get(ids[0])!.command('FLUSHALL');
    expect(await eventually(3_000, () => b.cache.stats().l1Flushes! > flushes)).toBe(true);
    await servesOnly(b, ids[0], `${ids[0]}-v4`);
  });

  it('400 writes by A over keys on every master: after each, once the push is in, B reads the new version (0 stale)', async () => {
    const prefix = uniquePrefix('l1-cluster-stress');
    const a = await instance(options(prefix, 'a'));
    const b = await instance(options(prefix, 'b-stress'));
    const { ids } = await idsOnEveryMaster(prefix);
    setDb(ids, '0');
    await holdInL1(b, ids);
    const hitsBefore = b.cache.stats().l1Hits!;
    const flushesBefore = b.cache.stats().l1Flushes!;
    let stale = 0;
    for (let i = 1; i <= 400; i++) {
      const id = ids[i % ids.length];
      const title = `${id}-${i}`;
      db.set(id, title);
      if (i % 4 === 0) await a.cache.del(`item:${id}`);
      else await a.cache.set(`item:${id}`, { id, title });
      // The barrier: a GET in the key's slot on B's connection to that node; Redis sends every
      // push queued for that connection before the reply, so after it B has handled the push.
      await b.cache.get(`__barrier__:{${prefix}:default:item:${id}}`);
      for (let n = 0; n < 3; n++) if ((await b.svc.item(id)).title !== title) stale++;
    }
    expect(stale).toBe(0);
    // The L1 answered most of those reads (the first after each write goes to Redis and fills it).
    expect(b.cache.stats().l1Hits! - hitsBefore).toBeGreaterThanOrEqual(700);
    // Each write reached B as an invalidation of its key, not as a flush of everything.
    expect(b.cache.stats().l1Flushes).toBe(flushesBefore);
  }, 60_000);

  it("CLIENT KILL of B's connection to one node flushes B's L1; values stay right and L1 hits resume", async () => {
    const prefix = uniquePrefix('l1-cluster-kill');
    const a = await instance(options(prefix, 'a'));
    const b = await instance(options(prefix, 'b-kill'));
    const { ids, owners } = await idsOnEveryMaster(prefix);
    setDb(ids, 'k1');
    await holdInL1(b, ids);
    const flushes = b.cache.stats().l1Flushes!;
    expect(await withRaw(owners.get(ids[0])!, (raw) => killNamed(raw, 'b-kill'))).toBeGreaterThan(0);
    expect(await eventually(5_000, () => b.cache.stats().l1Flushes! > flushes)).toBe(true);
    for (const id of ids) await a.cache.set(`item:${id}`, { id, title: `${id}-k2` });
    for (const id of ids) await servesOnly(b, id, `${id}-k2`);
    expect(await eventually(10_000, () => b.cache.stats().l1Live === true)).toBe(true);
    await holdInL1(b, setDb(ids, 'k2'));
  });

  it("a change made on a node while B's connection to it is down is never hidden by B's L1", async () => {
    const prefix = uniquePrefix('l1-cluster-cut');
    const b = await instance(options(prefix, 'b-cut'));
    const { ids, owners } = await idsOnEveryMaster(prefix);
    const node = owners.get(ids[0])!;
    const onNode = ids.filter((id) => owners.get(id) === node);
    setDb(ids, 'c1');
    await holdInL1(b, ids);
    await whileBIsCutOff(node, b, 'b-cut', async (raw) => {
      for (const id of onNode) {
        db.set(id, `${id}-c2`);
        await raw.sendCommand(['DEL', `${prefix}:default:item:${id}`]);
      }
      // Meanwhile B cannot reach the node: it runs the method (fails open), never its old L1 entry.
      for (const id of onNode) expect((await b.svc.item(id)).title).toBe(`${id}-c2`);
    });
    for (const id of onNode) await servesOnly(b, id, `${id}-c2`);
    expect(await eventually(10_000, () => b.cache.stats().l1Live === true)).toBe(true);
    await holdInL1(b, ids);
  }, 30_000);

  it('useReplicas: reads served by replicas are tracked there; writes by A and a DEL on the master reach B', async () => {
    const prefix = uniquePrefix('l1-cluster-replicas');
    const replicaReads = (name: string): RedisCacheModuleOptions => ({
      cluster: { rootNodes: cluster.rootNodes, defaults: { name }, useReplicas: true },
      prefix,
    });
    const a = await instance(replicaReads('a'));
    const b = await instance(replicaReads('b-replicas'));
    const { ids, owners } = await idsOnEveryMaster(prefix);
    setDb(ids, 'r1');
    await holdInL1(b, ids);
    // B's reads went to replicas too (node-redis picks master or replica per read).
    const replicas = (await cluster.topology()).filter((node) => node.role === 'replica').map((node) => node.server!);
    const readOnReplicas = await Promise.all(
      replicas.map(async (node) => /cmdstat_get:calls=(\d+)/.exec(await node.command('INFO', 'commandstats'))),
    );
    expect(readOnReplicas.some((calls) => calls !== null)).toBe(true);
    for (const id of ids) await a.cache.set(`item:${id}`, { id, title: `${id}-r2` });
    for (const id of ids) await servesOnly(b, id, `${id}-r2`);
    await holdInL1(b, setDb(ids, 'r2'));
    for (const id of ids) {
      db.set(id, `${id}-r3`);
      await owners.get(id)!.command('DEL', `${prefix}:default:item:${id}`);
    }
    for (const id of ids) await servesOnly(b, id, `${id}-r3`);
  });

  it('a slot moved to another master (MIGRATE, SETSLOT) while B holds its key: B follows it, writes there reach B', async () => {
    const prefix = uniquePrefix('l1-cluster-move');
    const a = await instance(options(prefix, 'a'));
    const b = await instance(options(prefix, 'b-move'));
    const { ids, owners } = await idsOnEveryMaster(prefix);
    setDb(ids, 'm1');
    await holdInL1(b, ids);
    const [id] = ids;
    const key = `${prefix}:default:item:${id}`;
    const source = owners.get(id)!;
    const target = [...new Set(owners.values())].find((node) => node !== source)!;
    const topology = await cluster.topology();
    const idOf = (node: RedisServerHandle) => topology.find((view) => view.server === node)!.id;
    const slot = await source.command('CLUSTER', 'KEYSLOT', key);
    await target.command('CLUSTER', 'SETSLOT', slot, 'IMPORTING', idOf(source));
    await source.command('CLUSTER', 'SETSLOT', slot, 'MIGRATING', idOf(target));
    const keys = (await source.command('CLUSTER', 'GETKEYSINSLOT', slot, '100')).split('\n').filter(Boolean);
    expect(keys).toContain(key);
    const moved = await source.command('MIGRATE', '127.0.0.1', String(target.port), '', '0', '5000', 'KEYS', ...keys);
    expect(moved).toBe('OK');
    for (const node of topology.filter((view) => view.role === 'master'))
      await node.server!.command('CLUSTER', 'SETSLOT', slot, 'NODE', idOf(target));
    expect(await eventually(5_000, async () => (await ownerOf(key)) === target)).toBe(true);
    // The entry moved as it was; B, reading it where it lives now, still serves m1, then A's write.
    await servesOnly(b, id, `${id}-m1`);
    await holdInL1(b, [id]);
    await a.cache.set(`item:${id}`, { id, title: `${id}-m2` });
    await servesOnly(b, id, `${id}-m2`);
    await holdInL1(b, setDb([id], 'm2'));
    db.set(id, `${id}-m3`);
    await target.command('DEL', key);
    await servesOnly(b, id, `${id}-m3`);
  }, 30_000);

  it('CLUSTER FAILOVER on a replica: B serves no stale value afterwards and its L1 hits resume', async () => {
    const prefix = uniquePrefix('l1-cluster-failover');
    const a = await instance(options(prefix, 'a'));
    const b = await instance(options(prefix, 'b-failover'));
    const { ids, owners } = await idsOnEveryMaster(prefix);
    setDb(ids, 'f1');
    await holdInL1(b, ids);
    const master = owners.get(ids[0])!;
    const topology = await cluster.topology();
    const masterId = topology.find((node) => node.server === master)!.id;
    const replica = topology.find((node) => node.masterId === masterId)!.server!;
    expect(await replica.command('CLUSTER', 'FAILOVER')).toBe('OK');
    // Changes while the failover runs, then once it is done.
    for (const id of ids) await a.cache.set(`item:${id}`, { id, title: `${id}-f2` }).catch(() => undefined);
    await cluster.settled(15_000);
    expect(await ownerOf(`${prefix}:default:item:${ids[0]}`)).toBe(replica);
    for (const id of ids) await a.cache.set(`item:${id}`, { id, title: `${id}-f3` });
    for (const id of ids) await servesOnly(b, id, `${id}-f3`);
    // B followed the new layout: a read that met MOVED made it rediscover and drop its connection
    // to the demoted node (going not-live until the promoted master's was confirmed).
    const onDemoted = () => withRaw(master, async (raw) => (await namedIds(raw, 'b-failover')).length);
    expect(await eventually(10_000, async () => (await onDemoted()) === 0, 100)).toBe(true);
    expect(await eventually(10_000, () => b.cache.stats().l1Live === true)).toBe(true);
    const hits = b.cache.stats().l1Hits!;
    await holdInL1(b, setDb(ids, 'f3'));
    expect(b.cache.stats().l1Hits!).toBeGreaterThan(hits);
    // Changes after the failover still reach B, the promoted master's keys included.
    for (const id of ids) await a.cache.set(`item:${id}`, { id, title: `${id}-f4` });
    for (const id of ids) await servesOnly(b, id, `${id}-f4`);
  }, 60_000);
});

describe('L1 behind Sentinel (1 master, 1 replica, 3 sentinels)', () => {
  let setup: RedisSentinelHandle;
  beforeAll(async () => {
    setup = await startRedisSentinel({
      replicas: 1,
      sentinels: 3,
      quorum: 2,
      downAfterMs: 1_000,
      failoverTimeoutMs: 3_000,
    });
  }, 30_000);
  afterAll(() => setup?.stop());

  const options = (prefix: string, name: string): RedisCacheModuleOptions => ({
    sentinel: { name: setup.masterName, sentinelRootNodes: setup.sentinels, nodeClientOptions: { name } },
    prefix,
  });
  const ids = ['s1', 's2', 's3', 's4'];

  it('writes by A, and DEL / PEXPIRE / FLUSHDB on the master itself, reach B', async () => {
    const prefix = uniquePrefix('l1-sentinel');
    const a = await instance(options(prefix, 'a'));
    const b = await instance(options(prefix, 'b'));
    setDb(ids, 'v1');
    await holdInL1(b, ids);
    for (const id of ids) await a.cache.set(`item:${id}`, { id, title: `${id}-v2` });
    for (const id of ids) await servesOnly(b, id, `${id}-v2`);
    await holdInL1(b, setDb(ids, 'v2'));
    const master = await setup.currentMaster();
    for (const [n, id] of ids.entries()) {
      db.set(id, `${id}-v3`);
      await master.command(
        n % 2 === 0 ? 'DEL' : 'PEXPIRE',
        `${prefix}:default:item:${id}`,
        ...(n % 2 === 0 ? [] : ['20']),
      );
    }
    for (const id of ids) await servesOnly(b, id, `${id}-v3`);

    // FLUSHDB on the master reaches the broadcast connection as "everything".
    await holdInL1(b, setDb(ids, 'v3'));
    const flushes = b.cache.stats().l1Flushes!;
    setDb(ids, 'v4');
    await master.command('FLUSHDB');
    expect(await eventually(3_000, () => b.cache.stats().l1Flushes! > flushes)).toBe(true);
    for (const id of ids) await servesOnly(b, id, `${id}-v4`);
  });

  it("CLIENT KILL of B's connections flushes B's L1; a change made while they are down is never hidden", async () => {
    const prefix = uniquePrefix('l1-sentinel-cut');
    const b = await instance(options(prefix, 'b-cut'));
    setDb(ids, 'c1');
    await holdInL1(b, ids);
    const flushes = b.cache.stats().l1Flushes!;
    await whileBIsCutOff(await setup.currentMaster(), b, 'b-cut', async (raw) => {
      for (const id of ids) {
        db.set(id, `${id}-c2`);
        await raw.sendCommand(['DEL', `${prefix}:default:item:${id}`]);
      }
      for (const id of ids) expect((await b.svc.item(id)).title).toBe(`${id}-c2`);
    });
    expect(b.cache.stats().l1Flushes!).toBeGreaterThan(flushes);
    for (const id of ids) await servesOnly(b, id, `${id}-c2`);
    expect(await eventually(10_000, () => b.cache.stats().l1Live === true)).toBe(true);
    await holdInL1(b, ids);
  }, 30_000);

  it('SENTINEL FAILOVER: B serves no stale value afterwards and its L1 hits resume on the new master', async () => {
    const prefix = uniquePrefix('l1-sentinel-failover');
    const a = await instance(options(prefix, 'a'));
    const b = await instance(options(prefix, 'b-failover'));
    setDb(ids, 'f1');
    await holdInL1(b, ids);
    const first = await setup.currentMaster();
    const second = [setup.master, ...setup.replicas].find((node) => node !== first)!;
    const flushes = b.cache.stats().l1Flushes!;
    expect(await setup.sentinel.command('SENTINEL', 'FAILOVER', setup.masterName)).toBe('OK');
    expect(await eventually(15_000, async () => (await setup.currentMaster()) === second, 100)).toBe(true);
    // Sentinels demote the old master on their next INFO round to it; do it now, as they would.
    await first.command('REPLICAOF', '127.0.0.1', String(second.port));
    await setup.settled(second, 15_000);
    for (const id of ids) await a.cache.set(`item:${id}`, { id, title: `${id}-f2` }).catch(() => undefined);
    for (const id of ids) await servesOnly(b, id, `${id}-f2`);
    expect(b.cache.stats().l1Flushes!).toBeGreaterThan(flushes);
    expect(await eventually(10_000, () => b.cache.stats().l1Live === true)).toBe(true);
    const hits = b.cache.stats().l1Hits!;
    await holdInL1(b, setDb(ids, 'f2'));
    expect(b.cache.stats().l1Hits!).toBeGreaterThan(hits);
    // The L1 now hears the new master: a change there reaches B.
    for (const id of ids) {
      db.set(id, `${id}-f3`);
      await second.command('DEL', `${prefix}:default:item:${id}`);
    }
    for (const id of ids) await servesOnly(b, id, `${id}-f3`);
    // With the demoted master gone, only a connection on the promoted one can keep the L1 live.
    await first.kill();
    await holdInL1(b, setDb(ids, 'f3'));
    for (const id of ids) {
      db.set(id, `${id}-f4`);
      await second.command('DEL', `${prefix}:default:item:${id}`);
    }
    for (const id of ids) await servesOnly(b, id, `${id}-f4`);
  }, 60_000);
});

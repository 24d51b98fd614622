/**
 * Failover under load, on a private Redis Cluster with replicas and on Sentinel with a replica
 * and three sentinels. The cache fails open, so "no call failed" alone proves little: the point
 * of each scenario is that caching RESUMES on the promoted node (warm entries are hits again,
 * new entries land on the new master with a TTL), while every call of the load got the correct
 * value for its argument within a bounded time.
 */
import 'reflect-metadata';
import { CapturingLogger, type TestingModule } from '@nestjs/testing';
import { RedisCacheService, type RedisCacheModuleOptions } from '../../lib/index.js';
import { DerivedValueService, derivedValue, idRange } from '../helpers/derived-value.fixture.js';
import { entriesOn, expectCachingResumed, expectCleanLoad, expectTtl } from '../helpers/failover-checks.helper.js';
import { startLoad, type RunningLoad } from '../helpers/failover-load.helper.js';
import { cacheTestingModule, trackTestingModules } from '../helpers/nest-testing.helper.js';
import { eventually } from '../helpers/polling.helper.js';
import {
  masterOfSlot,
  startRedisCluster,
  type ClusterNodeView,
  type RedisClusterHandle,
} from '../helpers/redis-cluster.js';
import { waitForReplicaCatchUp } from '../helpers/redis-process.helper.js';
import { startRedisSentinel, type RedisSentinelHandle } from '../helpers/redis-sentinel.js';
import type { RedisServerHandle } from '../helpers/redis-server.js';
import { uniquePrefix } from '../helpers/test-redis.js';

/** Bound for a failover to complete and the topology to settle. */
const FAILOVER_TIMEOUT_MS = 20_000;

const modules = trackTestingModules({ logger: () => new CapturingLogger() });
/** The load of the running test; stopped by the `afterEach` of each describe (before its module closes) if the test failed early. */
let load: RunningLoad | undefined;

async function boot(
  options: RedisCacheModuleOptions,
): Promise<{ values: DerivedValueService; cache: RedisCacheService; ref: TestingModule }> {
  const ref = await modules.boot(cacheTestingModule(options, [DerivedValueService]));
  return { ref, values: ref.get(DerivedValueService), cache: ref.get(RedisCacheService) };
}

/** 12 callers over 300 ids, bounded by count and time (both well beyond what one test needs). */
function loadOn(values: DerivedValueService, label: string): RunningLoad {
  return startLoad({
    call: (id) => values.value(id),
    expected: derivedValue,
    ids: idRange(label, 300),
    callers: 12,
    maxCalls: 400_000,
    maxMs: 90_000,
  });
}

/** Hits, method runs and store errors between two `stats()` readings, for the figures a test prints. */
function statsDelta(
  before: ReturnType<RedisCacheService['stats']>,
  after: ReturnType<RedisCacheService['stats']>,
): Record<string, number> {
  return {
    hits: after.hits - before.hits,
    loads: after.loads - before.loads,
    storeErrors: after.storeErrors - before.storeErrors,
  };
}

describe('Redis Cluster, 3 masters + 3 replicas: failover under load', () => {
  let cluster: RedisClusterHandle;

  beforeAll(async () => {
    cluster = await startRedisCluster({ masters: 3, replicas: 1 });
  }, 40_000);

  afterEach(async () => {
    await load?.stop();
    load = undefined;
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  /** Waits for `port` to serve slots, then for the whole cluster to settle. */
  async function promoted(port: number): Promise<ClusterNodeView[]> {
    const serving = await eventually(
      FAILOVER_TIMEOUT_MS,
      async () => {
        const view = await cluster.topology().catch(() => []);
        return view.some((node) => node.port === port && node.role === 'master' && node.slots.length > 0);
      },
      100,
    );
    expect({ port, serving }).toEqual({ port, serving: true });
    return cluster.settled(FAILOVER_TIMEOUT_MS);
  }

  it('CLUSTER FAILOVER, then a SIGKILLed master: every call correct, caching resumes on the promoted nodes', async () => {
    const prefix = uniquePrefix('failover-cluster');
    const { values, cache } = await boot({ cluster: { rootNodes: cluster.rootNodes }, prefix });
    const warm = idRange('warm', 60);
    for (const id of warm) await values.value(id);
    let view = await cluster.settled(5_000);
    for (const replica of view.filter((node) => node.role === 'replica')) {
      const master = view.find((node) => node.id === replica.masterId);
      await waitForReplicaCatchUp(master!.server!, replica.server!, 5_000);
    }

    /** Every fresh entry is on the master that owns its slot now, with a TTL; some on `home`. */
    const expectStoredOnOwners =
      (home: RedisServerHandle) =>
      async (fresh: string[]): Promise<void> => {
        const masters = view.filter((node) => node.role === 'master' && node.slots.length > 0);
        const found = await Promise.all(
          masters.map(async (node) => ({ node, entries: await entriesOn(node.server!, prefix, fresh) })),
        );
        expect(found.reduce((sum, { entries }) => sum + entries.size, 0)).toBe(fresh.length);
        for (const { node, entries } of found) {
          for (const key of entries.values()) {
            const slot = Number(await node.server!.command('CLUSTER', 'KEYSLOT', key));
            expect({ key, owner: masterOfSlot(view, slot)?.port }).toEqual({ key, owner: node.port });
            await expectTtl(node.server!, key);
          }
        }
        expect(found.find(({ node }) => node.port === home.port)?.entries.size).toBeGreaterThan(0);
      };

    load = loadOn(values, 'cluster-load');
    // 1. Manual failover: a replica takes over its master's slots; the old master becomes its replica.
    const replica = view.find((node) => node.role === 'replica')!;
    const callsBefore = load.snapshot().calls;
    let since = Date.now();
    await expect(replica.server!.command('CLUSTER', 'FAILOVER')).resolves.toBe('OK');
    view = await promoted(replica.port);
    const manualSettleMs = Date.now() - since;
    const manualProbe = [...(await entriesOn(replica.server!, prefix, warm)).keys()];
    expect(manualProbe.length).toBeGreaterThan(0);
    const manualResumeMs = await expectCachingResumed({
      values,
      warm,
      probe: manualProbe[0],
      fresh: idRange('fresh1', 30),
      expectStored: expectStoredOnOwners(replica.server!),
    });
    const callsDuringManual = load.snapshot().calls - callsBefore;

    // 2. Crash: SIGKILL another master once its replica holds every warm entry; the replica takes over.
    const victim = view.find((node) => node.role === 'master' && node.port !== replica.port && node.slots.length > 0)!;
    const heir = view.find((node) => node.masterId === victim.id)!;
    await waitForReplicaCatchUp(victim.server!, heir.server!, 5_000);
    const heirWarm = [...(await entriesOn(heir.server!, prefix, warm)).keys()];
    expect(heirWarm.length).toBeGreaterThan(0);
    const callsBeforeKill = load.snapshot().calls;
    const statsBeforeKill = cache.stats();
    since = Date.now();
    await victim.server!.kill();
    view = await promoted(heir.port);
    const killSettleMs = Date.now() - since;
    const killWindow = statsDelta(statsBeforeKill, cache.stats());
    const killResumeMs = await expectCachingResumed({
      values,
      warm,
      probe: heirWarm[0],
      fresh: idRange('fresh2', 30),
      expectStored: expectStoredOnOwners(heir.server!),
    });
    const callsDuringKill = load.snapshot().calls - callsBeforeKill;

    const report = await load.stop();
    const figures = {
      calls: report.calls,
      callsDuringManual,
      callsDuringKill,
      maxLatencyMs: Math.round(report.maxLatencyMs),
      manualSettleMs,
      manualResumeMs,
      killSettleMs,
      killResumeMs,
      killWindow,
    };
    console.log(`cluster failover: ${JSON.stringify({ ...figures, stats: cache.stats() })}`);
    expectCleanLoad(report);
    expect(callsDuringManual).toBeGreaterThan(0);
    expect(callsDuringKill).toBeGreaterThan(0);
  }, 90_000);
});

describe('Redis Sentinel, 1 master + 1 replica + 3 sentinels: failover under load', () => {
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

  afterEach(async () => {
    await load?.stop();
    load = undefined;
  });

  afterAll(async () => {
    await setup?.stop();
  });

  it('SENTINEL FAILOVER, then a SIGKILLed new master: every call correct, caching resumes on the promoted node', async () => {
    const prefix = uniquePrefix('failover-sentinel');
    const { values, cache } = await boot({
      sentinel: { name: setup.masterName, sentinelRootNodes: setup.sentinels },
      prefix,
    });
    const [first, second] = [setup.master, setup.replicas[0]];
    const warm = idRange('warm', 40);
    for (const id of warm) await values.value(id);
    await waitForReplicaCatchUp(first, second, 5_000);

    /** Every fresh entry is on `home`, the master now, with a TTL. */
    const expectStoredOn =
      (home: RedisServerHandle) =>
      async (fresh: string[]): Promise<void> => {
        const entries = await entriesOn(home, prefix, fresh);
        expect([...entries.keys()].sort()).toEqual([...fresh].sort());
        for (const key of entries.values()) await expectTtl(home, key);
      };

    load = loadOn(values, 'sentinel-load');
    // 1. Manual failover: the replica is promoted, the old master is turned into its replica.
    const callsBefore = load.snapshot().calls;
    let since = Date.now();
    await expect(setup.sentinel.command('SENTINEL', 'FAILOVER', setup.masterName)).resolves.toBe('OK');
    await expect(
      eventually(FAILOVER_TIMEOUT_MS, async () => (await setup.currentMaster()) === second, 100),
    ).resolves.toBe(true);
    // Sentinels demote the old master only on their next INFO round to it, up to 10 s away;
    // doing what they would do saves that wait and changes nothing the client sees.
    await expect(first.command('REPLICAOF', '127.0.0.1', String(second.port))).resolves.toBe('OK');
    await setup.settled(second, FAILOVER_TIMEOUT_MS);
    const manualSettleMs = Date.now() - since;
    await expect(setup.currentMaster()).resolves.toBe(second);
    const fresh1 = idRange('fresh1', 30);
    const manualResumeMs = await expectCachingResumed({
      values,
      warm,
      probe: warm[0],
      fresh: fresh1,
      expectStored: expectStoredOn(second),
    });
    const callsDuringManual = load.snapshot().calls - callsBefore;

    // 2. Crash: SIGKILL the new master once the old one holds every entry; sentinels promote it back.
    await waitForReplicaCatchUp(second, first, 5_000);
    const callsBeforeKill = load.snapshot().calls;
    const statsBeforeKill = cache.stats();
    since = Date.now();
    await second.kill();
    await setup.settled(first, FAILOVER_TIMEOUT_MS);
    const killSettleMs = Date.now() - since;
    const killWindow = statsDelta(statsBeforeKill, cache.stats());
    const killResumeMs = await expectCachingResumed({
      values,
      warm: [...warm, ...fresh1],
      probe: fresh1[0],
      fresh: idRange('fresh2', 30),
      expectStored: expectStoredOn(first),
    });
    const callsDuringKill = load.snapshot().calls - callsBeforeKill;

    const report = await load.stop();
    const figures = {
      calls: report.calls,
      callsDuringManual,
      callsDuringKill,
      maxLatencyMs: Math.round(report.maxLatencyMs),
      manualSettleMs,
      manualResumeMs,
      killSettleMs,
      killResumeMs,
      killWindow,
    };
    console.log(`sentinel failover: ${JSON.stringify({ ...figures, stats: cache.stats() })}`);
    expectCleanLoad(report);
    expect(callsDuringManual).toBeGreaterThan(0);
    expect(callsDuringKill).toBeGreaterThan(0);
  }, 90_000);
});

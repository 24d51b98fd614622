import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { infoField, stopAndRemove, waitOrThrow } from './redis-process.helper.js';
import { startRedisServer, type RedisServerHandle } from './redis-server.js';

/** Bound for every sentinel to know the master, its replicas and its fellow sentinels. */
const SENTINEL_READY_TIMEOUT_MS = 10_000;

/** Options for {@link startRedisSentinel}; the defaults are one master watched by one sentinel. */
export interface RedisSentinelOptions {
  /** Replicas of the master, the failover targets. @default 0 */
  replicas?: number;
  /** Sentinel processes. @default 1 */
  sentinels?: number;
  /** Sentinels that must agree the master is down before a failover. @default 1 */
  quorum?: number;
  /** How long a silent master takes to be considered down. @default 1000 */
  downAfterMs?: number;
  /** Sentinel `failover-timeout`; a second failover of the master waits twice this on the sentinel that ran the first. @default 10000 */
  failoverTimeoutMs?: number;
}

/** A private master (with replicas) watched by sentinels; pass the fields to node-redis `createSentinel`. */
export interface RedisSentinelHandle {
  /** Address of every sentinel, in node-redis `sentinelRootNodes` shape. */
  sentinels: Array<{ host: string; port: number }>;
  /** The monitored master's name, always `mymaster`. */
  masterName: string;
  /** The master at start-up. After a failover it may be a replica or dead: ask {@link currentMaster}. */
  master: RedisServerHandle;
  /** The replicas at start-up, in the order they were started. */
  replicas: RedisServerHandle[];
  /** The first sentinel process. */
  sentinel: RedisServerHandle;
  /** Every sentinel process. */
  sentinelServers: RedisServerHandle[];
  /**
   * The data node the first running sentinel currently names as master (`get-master-addr-by-name`).
   *
   * @throws if no sentinel runs or the address is not one of ours.
   */
  currentMaster(): Promise<RedisServerHandle>;
  /**
   * Waits until `master` is the settled master, e.g. after a failover: every running sentinel
   * names it, it reports `role:master`, and every other running data node is its replica with
   * the link up and is listed by every running sentinel as a healthy replica (so that a next
   * failover has a target).
   *
   * @throws naming the last unsettled detail, when that takes longer than `timeoutMs`.
   */
  settled(master: RedisServerHandle, timeoutMs: number): Promise<void>;
  /** Stops the sentinels, then the data nodes, and removes their directories. Idempotent. */
  stop(): Promise<void>;
}

/** The replicas a sentinel lists (`SENTINEL REPLICAS`, flattened by redis-cli): port → flags. */
async function listedReplicas(sentinel: RedisServerHandle, masterName: string): Promise<Map<number, string>> {
  const lines = (await sentinel.command('SENTINEL', 'REPLICAS', masterName)).split('\n').map((line) => line.trim());
  const listed = new Map<number, string>();
  let port = 0;
  for (let i = 0; i < lines.length - 1; i += 1) {
    if (lines[i] === 'port') port = Number(lines[i + 1]);
    if (lines[i] === 'flags') listed.set(port, lines[i + 1]);
  }
  return listed;
}

/** One settle check for {@link RedisSentinelHandle.settled}; the string explains what is not settled yet. */
async function checkSettled(
  masterName: string,
  master: RedisServerHandle,
  dataNodes: RedisServerHandle[],
  sentinels: RedisServerHandle[],
): Promise<[boolean, string]> {
  const role = infoField(await master.command('INFO', 'replication'), 'role');
  if (role !== 'master') return [false, `${master.port} has role ${role}`];
  const replicas = dataNodes.filter((node) => node !== master && node.running);
  for (const replica of replicas) {
    const info = await replica.command('INFO', 'replication');
    const state = `${infoField(info, 'role')} of ${infoField(info, 'master_port')}, link ${infoField(info, 'master_link_status')}`;
    if (state !== `slave of ${master.port}, link up`) return [false, `${replica.port} is ${state}`];
  }
  for (const sentinel of sentinels.filter((server) => server.running)) {
    const addr = (await sentinel.command('SENTINEL', 'get-master-addr-by-name', masterName)).split(/\s+/).join(' ');
    if (addr !== `127.0.0.1 ${master.port}`) return [false, `sentinel ${sentinel.port} names ${addr}`];
    const listed = await listedReplicas(sentinel, masterName);
    const unhealthy = replicas.find((replica) => listed.get(replica.port) !== 'slave');
    if (unhealthy)
      return [false, `sentinel ${sentinel.port} lists ${unhealthy.port} with flags ${listed.get(unhealthy.port)}`];
  }
  return [true, ''];
}

/**
 * Starts one master, `replicas` replicas of it and `sentinels` sentinels monitoring it as
 * `mymaster` (hostnames not resolved), each on a free port, and waits until every sentinel
 * names the master and knows all replicas and all other sentinels, and every replica is in sync.
 *
 * @throws if that takes longer than 10 s; every started process is stopped first.
 */
export async function startRedisSentinel(options: RedisSentinelOptions = {}): Promise<RedisSentinelHandle> {
  const { replicas: replicaCount = 0, sentinels: sentinelCount = 1, quorum = 1 } = options;
  const { downAfterMs = 1_000, failoverTimeoutMs = 10_000 } = options;
  const masterName = 'mymaster';
  // Diskless sync waits 5 s for more replicas by default; ours should sync at once.
  const dataArgs = ['--repl-diskless-sync-delay', '0'];
  const started: RedisServerHandle[] = [];
  // Sentinel rewrites its config file at runtime, so each one needs a private, writable copy.
  const confDir = await mkdtemp(join(tmpdir(), 'readthrough-sentinel-'));
  const fail = async (err: unknown): Promise<never> => {
    // Sentinels first, so they do not log a bogus +sdown for the data nodes during teardown.
    await stopAndRemove(started.slice().reverse(), [confDir]);
    throw err;
  };

  try {
    const master = await startRedisServer({ args: dataArgs });
    started.push(master);
    const replicas: RedisServerHandle[] = [];
    for (let i = 0; i < replicaCount; i += 1) {
      const replica = await startRedisServer({ args: [...dataArgs, '--replicaof', '127.0.0.1', String(master.port)] });
      started.push(replica);
      replicas.push(replica);
    }
    const sentinelServers: RedisServerHandle[] = [];
    for (let i = 0; i < sentinelCount; i += 1) {
      const configFile = join(confDir, `sentinel-${i}.conf`);
      await writeFile(
        configFile,
        [
          // Must precede `monitor`: with it off, 127.0.0.1 is taken literally.
          'sentinel resolve-hostnames no',
          `sentinel monitor ${masterName} 127.0.0.1 ${master.port} ${quorum}`,
          `sentinel down-after-milliseconds ${masterName} ${downAfterMs}`,
          `sentinel failover-timeout ${masterName} ${failoverTimeoutMs}`,
          '',
        ].join('\n'),
      );
      const sentinel = await startRedisServer({ configFile, args: ['--sentinel'] });
      started.push(sentinel);
      sentinelServers.push(sentinel);
    }

    await waitOrThrow(
      `sentinels knowing ${masterName}, ${replicaCount} replicas and each other`,
      SENTINEL_READY_TIMEOUT_MS,
      async () => {
        for (const replica of replicas) {
          const link = infoField(await replica.command('INFO', 'replication'), 'master_link_status');
          if (link !== 'up') return [false, `replica ${replica.port}: master_link_status ${link}`];
        }
        for (const sentinel of sentinelServers) {
          const addr = (await sentinel.command('SENTINEL', 'get-master-addr-by-name', masterName))
            .split(/\s+/)
            .join(' ');
          if (addr !== `127.0.0.1 ${master.port}`) return [false, `sentinel ${sentinel.port} names ${addr}`];
          // SENTINEL MASTER replies field/value lines.
          const lines = (await sentinel.command('SENTINEL', 'MASTER', masterName)).split('\n');
          const field = (name: string): string | undefined => lines[lines.indexOf(name) + 1];
          const seen = `${field('num-slaves')} replicas, ${field('num-other-sentinels')} other sentinels`;
          if (seen !== `${replicaCount} replicas, ${sentinelCount - 1} other sentinels`)
            return [false, `sentinel ${sentinel.port} knows ${seen}`];
        }
        return [true, ''];
      },
    );

    const dataNodes = [master, ...replicas];
    return {
      sentinels: sentinelServers.map((sentinel) => ({ host: '127.0.0.1', port: sentinel.port })),
      masterName,
      master,
      replicas,
      sentinel: sentinelServers[0],
      sentinelServers,
      async currentMaster() {
        const sentinel = sentinelServers.find((server) => server.running);
        if (sentinel === undefined) throw new Error('no sentinel is running');
        const [, port] = (await sentinel.command('SENTINEL', 'get-master-addr-by-name', masterName)).split(/\s+/);
        const node = dataNodes.find((server) => server.port === Number(port));
        if (node === undefined) throw new Error(`sentinel ${sentinel.port} names an unknown master port ${port}`);
        return node;
      },
      settled: (expected, timeoutMs) =>
        waitOrThrow(`${expected.port} settling as ${masterName}`, timeoutMs, () =>
          checkSettled(masterName, expected, dataNodes, sentinelServers),
        ).then(() => undefined),
      stop: async () => {
        await stopAndRemove(sentinelServers);
        await stopAndRemove(dataNodes, [confDir]);
      },
    };
  } catch (err) {
    return fail(err);
  }
}

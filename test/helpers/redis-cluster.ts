import { freePort } from './free-port.js';
import { infoField, runTool, stopAndRemove, waitFor } from './redis-process.helper.js';
import { startRedisServer, type RedisServerHandle } from './redis-server.js';

// Sentinel set-ups used to live here; existing callers keep importing them from this module.
export { startRedisSentinel, type RedisSentinelHandle, type RedisSentinelOptions } from './redis-sentinel.js';

/** Bound for `redis-cli --cluster create`, which itself polls once a second until nodes agree. */
const CLUSTER_CREATE_TIMEOUT_MS = 20_000;
/** Bound for the new cluster to settle (state ok everywhere, replicas in sync). */
const CLUSTER_SETTLE_TIMEOUT_MS = 15_000;

/** Options for {@link startRedisCluster}. */
export interface RedisClusterOptions {
  /** Number of masters. `redis-cli --cluster create` needs at least 3. @default 3 */
  masters?: number;
  /** Replicas per master (`--cluster-replicas`), the failover targets. @default 0 */
  replicas?: number;
}

/** One node as a cluster member reports it in `CLUSTER NODES`. */
export interface ClusterNodeView {
  id: string;
  port: number;
  role: 'master' | 'replica';
  /** Flagged `fail` or `fail?` by the reporting node. */
  failed: boolean;
  /** Node id of a replica's master; undefined for a master. */
  masterId: string | undefined;
  /** Slot ranges served, inclusive, e.g. `[[0, 5460]]`; empty for replicas and for masters that lost theirs. */
  slots: Array<[number, number]>;
  /** The process of this node, when it is one of ours. */
  server: RedisServerHandle | undefined;
}

/** A private Redis Cluster; pass `rootNodes` straight to node-redis `createCluster`. */
export interface RedisClusterHandle {
  /** One entry per node (replicas included), so a client can still bootstrap while a node is down. */
  rootNodes: Array<{ url: string }>;
  /** The node processes, for fault injection (pause/kill/restart a master). */
  nodes: RedisServerHandle[];
  /** `CLUSTER NODES` as seen by `from` (default: the first running node), parsed. */
  topology(from?: RedisServerHandle): Promise<ClusterNodeView[]>;
  /**
   * Waits until the cluster is settled again, e.g. after a failover: every running node reports
   * `cluster_state:ok`, all of them name the same live master for every slot range, and every
   * running replica's link to its master is up, and all of them name the same replicas.
   *
   * @returns the settled topology.
   * @throws naming the last unsettled detail, when that takes longer than `timeoutMs`.
   */
  settled(timeoutMs: number): Promise<ClusterNodeView[]>;
  /** Stops every node and removes their directories. Idempotent. */
  stop(): Promise<void>;
}

/** Parses a `CLUSTER NODES` reply; slots being imported or migrated (`[...]`) are ignored. */
function parseClusterNodes(reply: string, servers: RedisServerHandle[]): ClusterNodeView[] {
  return reply
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map((line) => {
      const [id, address, flags, master, , , , , ...slotFields] = line.split(' ');
      const port = Number(/:(\d+)@/.exec(address)?.[1]);
      const flagList = flags.split(',');
      const slots = slotFields
        .filter((field) => !field.startsWith('['))
        .map((field): [number, number] => {
          const [from, to = from] = field.split('-').map(Number);
          return [from, to];
        });
      return {
        id,
        port,
        role: flagList.includes('master') ? 'master' : 'replica',
        failed: flagList.includes('fail') || flagList.includes('fail?'),
        masterId: master === '-' ? undefined : master,
        slots,
        server: servers.find((server) => server.port === port),
      };
    });
}

/** The master serving `slot` in `topology`, if any. */
export function masterOfSlot(topology: ClusterNodeView[], slot: number): ClusterNodeView | undefined {
  return topology.find((node) => node.role === 'master' && node.slots.some(([from, to]) => slot >= from && slot <= to));
}

/**
 * One settle check: the string explains what is not settled yet or, when settled, is the
 * agreed layout. `replicas` is how many attached replicas every view must show.
 */
async function checkSettled(servers: RedisServerHandle[], replicas?: number): Promise<[boolean, string]> {
  const running = servers.filter((server) => server.running);
  const signatures = new Set<string>();
  for (const server of running) {
    const info = await server.command('CLUSTER', 'INFO');
    if (infoField(info, 'cluster_state') !== 'ok')
      return [false, `node ${server.port}: cluster_state ${infoField(info, 'cluster_state')}`];
    const view = parseClusterNodes(await server.command('CLUSTER', 'NODES'), servers);
    const owners = view.filter((node) => node.slots.length > 0);
    const dead = owners.find((node) => node.failed || node.role !== 'master' || !node.server?.running);
    if (dead)
      return [
        false,
        `node ${server.port} still routes slots to ${dead.port} (failed ${dead.failed}, running ${dead.server?.running})`,
      ];
    // Gossip is eventually consistent: every node must tell the same story of who serves and who replicates whom.
    const attached = view
      .filter((node) => node.role === 'replica' && !node.failed && node.server?.running)
      .map((node) => `${node.port}->${view.find((master) => master.id === node.masterId)?.port}`);
    if (replicas !== undefined && attached.length !== replicas)
      return [false, `node ${server.port} sees ${attached.length} replicas`];
    signatures.add(
      [...owners.map((node) => `${node.port}=${JSON.stringify(node.slots)}`), ...attached].sort().join(' '),
    );
    if (view.find((node) => node.server === server)?.role === 'replica') {
      const link = infoField(await server.command('INFO', 'replication'), 'master_link_status');
      if (link !== 'up') return [false, `replica ${server.port}: master_link_status ${link}`];
    }
  }
  if (signatures.size !== 1) return [false, `nodes disagree: ${[...signatures].join(' | ')}`];
  return [true, [...signatures][0]];
}

/**
 * Starts `masters × (1 + replicas)` cluster-enabled `redis-server` processes on free ports, joins
 * them with `redis-cli --cluster create ... --cluster-replicas <replicas>`, and waits until the
 * cluster is settled (see {@link RedisClusterHandle.settled}).
 *
 * @throws if creation or convergence exceeds its bound; every started node is stopped first.
 */
export async function startRedisCluster(options: RedisClusterOptions = {}): Promise<RedisClusterHandle> {
  const masters = options.masters ?? 3;
  const replicas = options.replicas ?? 0;
  if (masters < 3) throw new Error(`startRedisCluster: redis-cli needs at least 3 masters, got ${masters}`);

  const started = await Promise.allSettled(
    Array.from({ length: masters * (1 + replicas) }, async () =>
      startRedisServer({
        args: [
          '--cluster-enabled',
          'yes',
          // Relative to --dir, i.e. inside the node's private temp dir, so nodes never share state.
          '--cluster-config-file',
          'nodes.conf',
          // The default bus port is port+10000, which overflows 65535 for high ephemeral ports.
          '--cluster-port',
          String(await freePort()),
          // Short enough that fault tests see a failed node, and a replica take over, within seconds.
          '--cluster-node-timeout',
          '2000',
          // Diskless sync waits 5 s for more replicas by default; ours should sync at once.
          '--repl-diskless-sync-delay',
          '0',
        ],
      }),
    ),
  );
  const nodes = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const failure = started.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failure) {
    await stopAndRemove(nodes);
    throw failure.reason;
  }

  const topology = async (from?: RedisServerHandle): Promise<ClusterNodeView[]> => {
    const reporter = from ?? nodes.find((node) => node.running);
    if (reporter === undefined) throw new Error('no cluster node is running');
    return parseClusterNodes(await reporter.command('CLUSTER', 'NODES'), nodes);
  };
  const settled = async (timeoutMs: number, attachedReplicas?: number): Promise<ClusterNodeView[]> => {
    const [ok, detail] = await waitFor(timeoutMs, () => checkSettled(nodes, attachedReplicas));
    if (!ok) throw new Error(`cluster did not settle within ${timeoutMs} ms; ${detail}`);
    return topology();
  };

  try {
    await runTool(
      'redis-cli',
      [
        '--cluster',
        'create',
        ...nodes.map((node) => `127.0.0.1:${node.port}`),
        '--cluster-replicas',
        String(replicas),
        '--cluster-yes',
      ],
      CLUSTER_CREATE_TIMEOUT_MS,
    );
    await settled(CLUSTER_SETTLE_TIMEOUT_MS, masters * replicas);
  } catch (err) {
    await stopAndRemove(nodes);
    throw err;
  }

  return {
    rootNodes: nodes.map((node) => ({ url: node.url })),
    nodes,
    topology,
    settled,
    stop: () => stopAndRemove(nodes),
  };
}

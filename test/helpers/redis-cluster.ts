import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './free-port.js';
import { startRedisServer, type RedisServerHandle } from './redis-server.js';

/** Bound for `redis-cli --cluster create`, which itself polls once a second until nodes agree. */
const CLUSTER_CREATE_TIMEOUT_MS = 20_000;
/** Bound for every node to report `cluster_state:ok` after creation. */
const CLUSTER_OK_TIMEOUT_MS = 10_000;
/** Bound for the sentinel to answer `get-master-addr-by-name`. */
const SENTINEL_READY_TIMEOUT_MS = 5_000;

/** Options for {@link startRedisCluster}. */
export interface RedisClusterOptions {
  /** Number of masters (no replicas). `redis-cli --cluster create` needs at least 3. */
  masters?: number;
}

/** A private Redis Cluster; pass `rootNodes` straight to node-redis `createCluster`. */
export interface RedisClusterHandle {
  /** One entry per node, so a client can still bootstrap while a node is down. */
  rootNodes: Array<{ url: string }>;
  /** The node processes, for fault injection (pause/kill/restart a master). */
  nodes: RedisServerHandle[];
  /** Stops every node and removes their directories. Idempotent. */
  stop(): Promise<void>;
}

/** A private master watched by one sentinel; pass the fields to node-redis `createSentinel`. */
export interface RedisSentinelHandle {
  /** Address of the sentinel, in node-redis `sentinelRootNodes` shape. */
  sentinels: Array<{ host: string; port: number }>;
  /** The monitored master's name, always `mymaster`. */
  masterName: string;
  /** The monitored master (no replicas, so a killed master stays down: no failover target). */
  master: RedisServerHandle;
  /** The sentinel process itself. */
  sentinel: RedisServerHandle;
  /** Stops the sentinel and the master and removes their directories. Idempotent. */
  stop(): Promise<void>;
}

function run(file: string, args: string[], timeout: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${file} ${args.join(' ')} failed: ${err.message}\n${stdout}${stderr}`));
      else resolve(stdout);
    });
  });
}

/** Stops servers and deletes their dirs; used both for normal teardown and failed setup. */
async function stopAndRemove(servers: RedisServerHandle[], extraDirs: string[] = []): Promise<void> {
  await Promise.all(servers.map((server) => server.stop()));
  await Promise.all(
    [...servers.map((server) => server.dir), ...extraDirs].map((dir) => rm(dir, { recursive: true, force: true })),
  );
}

/**
 * Polls `check` every 100 ms until it returns true or `timeoutMs` passes.
 *
 * @returns the last diagnostic string `check` produced, for the timeout error.
 */
async function waitFor(timeoutMs: number, check: () => Promise<[boolean, string]>): Promise<[boolean, string]> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const [ok, detail] = await check();
      if (ok) return [true, detail];
      last = detail;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await sleep(100);
  }
  return [false, last];
}

/**
 * Starts `masters` cluster-enabled `redis-server` processes on free ports, joins them with
 * `redis-cli --cluster create ... --cluster-replicas 0`, and waits until every node reports
 * `cluster_state:ok`.
 *
 * @throws if creation or convergence exceeds its bound; every started node is stopped first.
 */
export async function startRedisCluster(options: RedisClusterOptions = {}): Promise<RedisClusterHandle> {
  const masters = options.masters ?? 3;
  if (masters < 3) throw new Error(`startRedisCluster: redis-cli needs at least 3 masters, got ${masters}`);

  const started = await Promise.allSettled(
    Array.from({ length: masters }, async () =>
      startRedisServer({
        args: [
          '--cluster-enabled', 'yes',
          // Relative to --dir, i.e. inside the node's private temp dir, so nodes never share state.
          '--cluster-config-file', 'nodes.conf',
          // The default bus port is port+10000, which overflows 65535 for high ephemeral ports.
          '--cluster-port', String(await freePort()),
          // Short enough that fault tests see a failed node within a couple of seconds.
          '--cluster-node-timeout', '2000',
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

  try {
    await run(
      'redis-cli',
      ['--cluster', 'create', ...nodes.map((node) => `127.0.0.1:${node.port}`), '--cluster-replicas', '0', '--cluster-yes'],
      CLUSTER_CREATE_TIMEOUT_MS,
    );
    const [ok, detail] = await waitFor(CLUSTER_OK_TIMEOUT_MS, async () => {
      const infos = await Promise.all(nodes.map((node) => node.command('CLUSTER', 'INFO')));
      const bad = infos.findIndex((info) => !/^cluster_state:ok\r?$/m.test(info));
      return [bad === -1, bad === -1 ? '' : `node ${nodes[bad].port}:\n${infos[bad]}`];
    });
    if (!ok) throw new Error(`cluster did not reach cluster_state:ok within ${CLUSTER_OK_TIMEOUT_MS} ms; ${detail}`);
  } catch (err) {
    await stopAndRemove(nodes);
    throw err;
  }

  return {
    rootNodes: nodes.map((node) => ({ url: node.url })),
    nodes,
    stop: () => stopAndRemove(nodes),
  };
}

/**
 * Starts one master and one sentinel monitoring it as `mymaster` (quorum 1,
 * down-after-milliseconds 1000, hostnames not resolved), each on a free port, and waits until
 * the sentinel answers `SENTINEL get-master-addr-by-name mymaster` with the master's address.
 *
 * @throws if the sentinel does not answer within 5 s; both processes are stopped first.
 */
export async function startRedisSentinel(): Promise<RedisSentinelHandle> {
  const masterName = 'mymaster';
  const master = await startRedisServer();
  // Sentinel rewrites its config file at runtime, so it needs a private, writable copy.
  const confDir = await mkdtemp(join(tmpdir(), 'readthrough-sentinel-'));
  const configFile = join(confDir, 'sentinel.conf');
  await writeFile(
    configFile,
    [
      // Must precede `monitor`: with it off, 127.0.0.1 is taken literally.
      'sentinel resolve-hostnames no',
      `sentinel monitor ${masterName} 127.0.0.1 ${master.port} 1`,
      `sentinel down-after-milliseconds ${masterName} 1000`,
      `sentinel failover-timeout ${masterName} 10000`,
      '',
    ].join('\n'),
  );

  let sentinel: RedisServerHandle;
  try {
    sentinel = await startRedisServer({ configFile, args: ['--sentinel'] });
  } catch (err) {
    await stopAndRemove([master], [confDir]);
    throw err;
  }

  const [ok, detail] = await waitFor(SENTINEL_READY_TIMEOUT_MS, async () => {
    const reply = await sentinel.command('SENTINEL', 'get-master-addr-by-name', masterName);
    return [reply.split(/\s+/).join(' ') === `127.0.0.1 ${master.port}`, reply];
  });
  if (!ok) {
    await stopAndRemove([sentinel, master], [confDir]);
    throw new Error(`sentinel did not report ${masterName} within ${SENTINEL_READY_TIMEOUT_MS} ms; last reply: ${detail}`);
  }

  return {
    sentinels: [{ host: '127.0.0.1', port: sentinel.port }],
    masterName,
    master,
    sentinel,
    // Sentinel first, so it does not log a bogus +sdown for the master during teardown.
    stop: async () => {
      await stopAndRemove([sentinel]);
      await stopAndRemove([master], [confDir]);
    },
  };
}

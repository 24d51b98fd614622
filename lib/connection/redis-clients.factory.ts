import {
  RESP_TYPES,
  createClient,
  createClientPool,
  createCluster,
  createSentinel,
  type RedisClientPoolType,
  type RedisClientType,
  type RedisClusterType,
  type RedisSentinelType,
} from 'redis';
import type { ResolvedConnection } from '../options/resolved-redis-cache-options.interface.js';
import { buildClientOptions } from './redis-client-options.factory.js';
import {
  clusterTracking,
  sentinelTracking,
  singleTracking,
  type OwnedConnection,
  type TrackableCluster,
  type TrackableSentinel,
  type TrackedConnection,
  type TrackingSource,
} from './redis-tracking.sources.js';

/** The client handed to `RedisPoolService.execute`: a pooled connection, or the cluster / sentinel client. */
export type RedisExecutionClient = RedisClientType | RedisClusterType | RedisSentinelType;

/** Byte-oriented commands the cache needs; all three node-redis client kinds provide them. */
export interface BufferCommands {
  get(key: string): Promise<Buffer | null>;
  set(
    key: string,
    value: Buffer | string,
    options: { expiration: { type: 'PX'; value: number }; condition?: 'NX' },
  ): Promise<unknown>;
  eval(script: string, options: { keys: string[]; arguments: (string | Buffer)[] }): Promise<unknown>;
  unlink(keys: string | string[]): Promise<number>;
  pExpire(key: string, ms: number, mode?: 'GT'): Promise<number>;
  sendCommand(args: string[]): Promise<unknown>;
  exists(keys: string | string[]): Promise<number>;
  pTTL(key: string): Promise<number>;
  ping(): Promise<unknown>;
  publish(channel: string, message: string): Promise<number>;
}

/** GET with string replies (node-redis' default type mapping). */
export interface TextCommands {
  get(key: string): Promise<string | null>;
  mGet(keys: string[]): Promise<(string | null)[]>;
}

/** The commands the cache sends on one connection: byte replies, plus text replies for text entries. */
export interface CacheCommands {
  readonly bytes: BufferCommands;
  readonly text: TextCommands;
}

/** One server whose keyspace `deleteByPrefix` walks (a cluster has one per master). */
export interface ScanNode {
  scan(cursor: string, options: { MATCH: string; COUNT: number }): Promise<{ cursor: string; keys: string[] }>;
  unlink(keys: string | string[]): Promise<number>;
}

/** What the lifecycle needs of a node-redis client, pool, cluster or sentinel. */
export interface ManagedConnection {
  close(): Promise<unknown>;
  destroy(): unknown;
  on(event: 'error', listener: (error: unknown) => void): unknown;
  connect(): Promise<unknown>;
  readonly isReady?: boolean;
}

/** A connection that receives messages of subscribed channels (see `RedisChannelSubscriber`). */
export interface SubscriberConnection extends ManagedConnection {
  subscribe(channel: string, listener: (message: string, channel: string) => void): Promise<unknown>;
}

/** The node-redis objects of one application, behind the narrow interfaces the rest of the library uses. */
export interface RedisClients {
  /** The multiplexed connection of the cache commands (client, cluster or sentinel). */
  readonly main: ManagedConnection;
  /** The connections the L1 hears invalidations on (`l1`), see {@link TrackingSource}. */
  readonly tracking: TrackingSource | undefined;
  /** node-redis' connection pool for `execute()`; standalone servers only. */
  readonly pool: ManagedConnection | undefined;
  readonly commands: CacheCommands;
  /** The servers to SCAN: every master of a cluster, else the one server. */
  scanNodes(): Promise<ScanNode[]>;
  /**
   * Runs `fn` with a connection that is the caller's alone: a pooled connection (standalone),
   * a leased master connection (sentinel), or the cluster client. `onLent` is called when
   * `fn` is about to run, so the caller can tell "no connection" from "`fn` failed".
   */
  lend<T>(fn: (client: RedisExecutionClient) => Promise<T>, onLent: () => void): Promise<T>;
  /**
   * Creates (without connecting) the connection for SUBSCRIBE: a duplicate of the standalone
   * client, since a subscribed RESP2 connection can run nothing else; on a cluster or sentinel,
   * the main client, whose pub/sub already runs on a connection of its own.
   */
  subscriber(): SubscriberConnection;
}

/**
 * Creates (without connecting) the node-redis objects for a connection shape. The only place
 * that casts node-redis' generic types: their full generics (modules, functions, scripts,
 * RESP version, type mapping) differ per client kind and are irrelevant to the narrow
 * interfaces above, which all three kinds satisfy.
 */
export function createRedisClients(
  connection: ResolvedConnection,
  connectionName: string,
  trackingPrefix?: string,
): RedisClients {
  const tracking = trackingPrefix !== undefined;
  if (connection.kind === 'cluster') {
    const defaults = buildClientOptions(connection.cluster.defaults ?? {}, connectionName);
    // Every node client tracks its own reads: emitInvalidate in the defaults it is created
    // from; RESP at the top, since the cluster hands its own RESP to each node client.
    const cluster = tracking
      ? createCluster({ ...connection.cluster, RESP: 3, defaults: { ...defaults, emitInvalidate: true } })
      : createCluster({ ...connection.cluster, defaults });
    return {
      ...wrap(cluster, undefined),
      tracking: tracking
        ? clusterTracking(cluster as unknown as TrackableCluster, connection.cluster.useReplicas === true)
        : undefined,
      async scanNodes() {
        const nodes: ScanNode[] = [];
        for (const master of cluster.masters) nodes.push((await cluster.nodeClient(master)) as unknown as ScanNode);
        return nodes;
      },
      lend(fn, onLent) {
        onLent();
        return fn(cluster as unknown as RedisExecutionClient);
      },
      subscriber: () => sharedSubscriber(cluster),
    };
  }
  if (connection.kind === 'sentinel') {
    const nodeClientOptions = buildClientOptions(connection.sentinel.nodeClientOptions ?? {}, connectionName);
    const sentinel = createSentinel({
      ...connection.sentinel,
      nodeClientOptions,
    } as never) as unknown as RedisSentinelType;
    // The sentinel's master connections are private: the L1 gets a broadcast connection of its own.
    const open = (host: string, port: number): OwnedConnection =>
      createClient({
        ...nodeClientOptions,
        RESP: 3,
        emitInvalidate: true,
        socket: { ...nodeClientOptions.socket, host, port },
      } as never) as unknown as OwnedConnection;
    return {
      ...wrap(sentinel, undefined),
      tracking: tracking ? sentinelTracking(sentinel as unknown as TrackableSentinel, trackingPrefix, open) : undefined,
      // The sentinel client itself scans its master (a leased sentinel client is not needed).
      scanNodes: () => Promise.resolve([sentinel as unknown as ScanNode]),
      lend(fn, onLent) {
        return sentinel.use((client) => {
          onLent();
          return fn(client as unknown as RedisExecutionClient);
        });
      },
      subscriber: () => sharedSubscriber(sentinel),
    };
  }
  const clientOptions = buildClientOptions(connection.client, connectionName);
  // RESP3 + emitInvalidate: node-redis sends CLIENT TRACKING ON in every (re)connect handshake and
  // emits 'invalidate' for each push. Only the cache connection tracks; the pool and subscriber do not.
  const client = createClient(tracking ? { ...clientOptions, RESP: 3, emitInvalidate: true } : clientOptions);
  const pool = createClientPool(clientOptions, {
    minimum: connection.pool.minimum,
    maximum: connection.pool.maximum,
    acquireTimeout: connection.pool.acquireTimeoutMs,
  }) as unknown as RedisClientPoolType;
  return {
    ...wrap(client, pool),
    tracking: tracking ? singleTracking(client as unknown as TrackedConnection) : undefined,
    scanNodes: () => Promise.resolve([client as unknown as ScanNode]),
    lend(fn, onLent) {
      return pool.execute((lent) => {
        onLent();
        return fn(lent as unknown as RedisExecutionClient);
      });
    },
    subscriber: () =>
      (tracking ? client.duplicate({ emitInvalidate: false }) : client.duplicate()) as unknown as SubscriberConnection,
  };
}

/**
 * The subscriber of a cluster or sentinel client: its own pub/sub connection, whose lifecycle
 * (connect, close, error listener) is the main client's, so these are no-ops here.
 */
function sharedSubscriber(main: object): SubscriberConnection {
  const pubSub = main as unknown as SubscriberConnection;
  return {
    get isReady() {
      return pubSub.isReady;
    },
    connect: () => Promise.resolve(),
    close: () => Promise.resolve(),
    destroy: () => undefined,
    on: () => undefined,
    subscribe: (channel, listener) => pubSub.subscribe(channel, listener),
  };
}

function wrap(main: object, pool: object | undefined): Pick<RedisClients, 'main' | 'pool' | 'commands'> {
  const typed = main as unknown as { withTypeMapping(mapping: object): BufferCommands };
  return {
    main: main as ManagedConnection,
    pool: pool as ManagedConnection | undefined,
    commands: {
      // Byte replies for entries; a type-mapped proxy over the same connection, not a new one.
      bytes: typed.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer }),
      text: main as unknown as TextCommands,
    },
  };
}

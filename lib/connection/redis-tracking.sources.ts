/** One connection with client tracking on (`l1`): its invalidation pushes, its state, and a way to ask it. */
export interface TrackedConnection {
  on(event: 'invalidate', listener: (key: Buffer | string | null) => void): unknown;
  on(event: 'ready' | 'end' | 'reconnecting' | 'error', listener: () => void): unknown;
  readonly isReady: boolean;
  /** A raw command on this very connection (CLIENT TRACKINGINFO, CLIENT TRACKING). */
  sendCommand(args: string[]): Promise<unknown>;
}

/**
 * Where the L1 hears what changed: the set of connections that must ALL be tracked, and
 * confirmed, for the L1 to serve. Two ways, per topology (README "L1 on a cluster and sentinel"):
 * - reads mode (`broadcastPrefix` undefined): each connection that serves reads is tracked by
 *   its server for the keys it read (the standalone client, every cluster node client);
 * - broadcast mode: a connection of our own per server, in `CLIENT TRACKING ON BCAST PREFIX`,
 *   is told of every change under the prefix whoever read it (sentinel: the current master).
 */
export interface TrackingSource {
  /** The key prefix of broadcast mode, or `undefined` for reads mode. */
  readonly broadcastPrefix: string | undefined;
  /**
   * The connections to track now, or `undefined` while that set is not known or not complete
   * (a cluster node without a client yet, a sentinel without a ready master): the L1 stays off.
   */
  connections(): readonly TrackedConnection[] | undefined;
  /** Calls `listener` whenever the set may have changed (a node added or removed, slots moved, a failover). */
  onChange(listener: () => void): void;
  /** Stops watching, and destroys the connections this source opened itself. */
  close(): void;
}

/** The standalone cache connection: its own reads, tracked by the one server. */
export function singleTracking(client: TrackedConnection): TrackingSource {
  return { broadcastPrefix: undefined, connections: () => [client], onChange: () => undefined, close: () => undefined };
}

/** A cluster node as node-redis lists it in `masters` / `replicas`. */
export interface TrackableNode {
  readonly address: string;
  readonly client?: TrackedConnection;
}

/** What cluster tracking needs of node-redis' cluster client. */
export interface TrackableCluster {
  readonly masters: readonly TrackableNode[];
  readonly replicas: readonly TrackableNode[];
  nodeClient(node: TrackableNode): Promise<unknown>;
  on(event: 'node-connect' | 'node-disconnect', listener: () => void): unknown;
}

/** How often the cluster's node lists are compared with the last seen, for moves no node event announces. */
const LAYOUT_CHECK_MS = 1_000;

/**
 * Reads mode on a cluster: the client of every node that can serve a read (the masters, and the
 * replicas with `useReplicas`). A node without a client yet is connected, and the set is
 * incomplete until it is. A new or dropped node client (node-redis rediscovers after MOVED, a
 * failover, a removed node), and any change of who is master or replica, is a change.
 */
export function clusterTracking(cluster: TrackableCluster, useReplicas: boolean): TrackingSource {
  const nodes = (): TrackableNode[] => [...cluster.masters, ...(useReplicas ? cluster.replicas : [])];
  // Sorted: a rediscovery may list the same nodes in another order.
  const addresses = (list: readonly TrackableNode[]): string =>
    list
      .map((node) => node.address)
      .sort()
      .join(',');
  const layout = (): string => `${addresses(cluster.masters)}|${addresses(cluster.replicas)}`;
  let timer: NodeJS.Timeout | undefined;
  const listeners: (() => void)[] = [];
  /** The lists the last complete set was taken from: what a confirmation is about. */
  let confirmed = '';
  return {
    broadcastPrefix: undefined,
    connections() {
      const all = nodes();
      if (all.length === 0) return undefined;
      confirmed = layout();
      const clients: TrackedConnection[] = [];
      for (const node of all) {
        if (!node.client) {
          // Its 'node-connect' announces it; a failed connect is retried on the next check.
          cluster.nodeClient(node).catch(() => undefined);
          return undefined;
        }
        clients.push(node.client);
      }
      return clients;
    },
    onChange(listener) {
      cluster.on('node-connect', listener);
      cluster.on('node-disconnect', listener);
      listeners.push(listener);
      // A swap of roles among nodes that all keep their client (a failover with useReplicas)
      // emits no node event; the lists tell.
      timer ??= setInterval(() => {
        if (confirmed === '' || layout() === confirmed) return;
        confirmed = '';
        for (const changed of listeners) changed();
      }, LAYOUT_CHECK_MS).unref();
    },
    close: () => clearInterval(timer),
  };
}

/** What sentinel tracking needs of node-redis' sentinel client. */
export interface TrackableSentinel {
  /** The master the sentinel client's ready master connection is on, if any. */
  getMasterNode(): { host: string; port: number } | undefined;
  on(event: 'topology-change', listener: (event: { type: string }) => void): unknown;
  on(event: 'ready', listener: () => void): unknown;
}

/** A connection of our own to one server, created by the clients factory. */
export interface OwnedConnection extends TrackedConnection {
  connect(): Promise<unknown>;
  destroy(): unknown;
}

/**
 * Broadcast mode on the sentinel's current master. node-redis' sentinel keeps its master
 * connections private and does not forward their pushes, so the L1 listens on a connection of
 * its own to the master the sentinel client uses (`getMasterNode()`), in BCAST mode for the
 * key prefix: it hears every change there, whichever connection read the key. A failover
 * (`MASTER_CHANGE`) is a change; the connection moves to the new master on the next check.
 */
export function sentinelTracking(
  sentinel: TrackableSentinel,
  prefix: string,
  open: (host: string, port: number) => OwnedConnection,
): TrackingSource {
  let tracker: { address: string; connection: OwnedConnection } | undefined;
  return {
    broadcastPrefix: prefix,
    connections() {
      const master = sentinel.getMasterNode();
      if (!master) return undefined;
      const address = `${master.host}:${master.port}`;
      if (tracker?.address !== address) {
        tracker?.connection.destroy();
        const connection = open(master.host, master.port);
        // Not awaited: the set is not ready until its 'ready', which asks again.
        connection.connect().catch(() => undefined);
        tracker = { address, connection };
      }
      return [tracker.connection];
    },
    onChange(listener) {
      sentinel.on('topology-change', (event) => {
        if (event.type === 'MASTER_CHANGE') listener();
      });
      sentinel.on('ready', listener);
    },
    close() {
      tracker?.connection.destroy();
      tracker = undefined;
    },
  };
}

import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { RedisCacheConnectionError } from '../errors/redis-cache-connection.error.js';
import type { ResolvedRedisCacheOptions } from '../options/resolved-redis-cache-options.interface.js';
import { LOGGER_CONTEXT, RESOLVED_REDIS_CACHE_OPTIONS } from '../redis-cache.constants.js';
import type { CircuitState } from '../utils/circuit-breaker.util.js';
import { ThrottledLogger } from '../utils/throttled-logger.util.js';
import { createRedisClients, type RedisClients, type RedisExecutionClient } from './redis-clients.factory.js';
import { RedisChannelSubscriber } from './redis-channel.subscriber.js';
import { RedisCommandLane } from './redis-command.lane.js';
import { RedisConnectionLifecycle } from './redis-connection.lifecycle.js';
import { executeOnLentConnection } from './redis-execute.lane.js';
import { TrackingMonitor, type TrackingListener } from './redis-tracking.monitor.js';
import type { TrackingSource } from './redis-tracking.sources.js';
import { CacheEventsHub } from '../events/cache-events.hub.js';

export type { RedisExecutionClient } from './redis-clients.factory.js';

/**
 * Owns the node-redis connections of one Nest application: connects at module init, drains and
 * closes on application shutdown (`app.close()`, `enableShutdownHooks()`).
 *
 * Two lanes, on purpose:
 * - cache commands (`get`, `set`, `unlink`, ...) go through ONE multiplexed connection
 *   (`createClient`, or the cluster / sentinel client) which pipelines concurrent commands: the
 *   {@link commands} lane. A node-redis pool lends each command a whole connection, and measured
 *   here at concurrency 64 that ran GET at 28–40k ops/s against 106k for one pipelined connection;
 * - {@link execute} runs your own work on node-redis' connection pool (`createClientPool`,
 *   sized by the `pool` option), where a connection is yours alone for the callback: use it for
 *   MULTI/WATCH, blocking commands, or long scripts that must not delay cache reads.
 *
 * Every narrow command is bounded by `operationTimeout` from its write (at most 512 written at a
 * time, the rest queued; see `commandsShed`) and fails fast while disconnected.
 *
 * @example
 * const n = await pool.execute((client) => client.dbSize());
 */
@Injectable()
export class RedisPoolService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(LOGGER_CONTEXT);
  private readonly errors = new ThrottledLogger(this.logger);
  /** The bounded cache-command lane (what the Redis store uses); the narrow methods below delegate to it. */
  readonly commands: RedisCommandLane;
  /** @internal The subscriber connection for lock release announcements, opened on first use. */
  readonly subscriber = new RedisChannelSubscriber(this.errors);
  private clients: RedisClients | undefined;
  private readonly lifecycle: RedisConnectionLifecycle;
  private readonly trackingListeners: TrackingListener[] = [];
  private readonly monitors: TrackingMonitor[] = [];

  constructor(
    @Inject(RESOLVED_REDIS_CACHE_OPTIONS) private readonly options: ResolvedRedisCacheOptions,
    events: CacheEventsHub,
  ) {
    this.commands = new RedisCommandLane(options, this.logger, events);
    this.lifecycle = new RedisConnectionLifecycle(options, this.logger, this.errors);
  }

  /** State of the circuit breaker (`closed` when it is turned off). */
  get circuitState(): CircuitState {
    return this.commands.circuitState;
  }

  /** Narrow commands sent to Redis since start-up (rejected by an open breaker: not counted). */
  get commandAttempts(): number {
    return this.commands.commandAttempts;
  }

  /**
   * Cache commands refused at once (failing open) because the lane's queue was full: 512 in
   * flight and 32,768 waiting. Non-zero means bursts beyond what one connection can absorb.
   */
  get commandsShed(): number {
    return this.commands.commandsShed;
  }

  /** `true` while the cache connection is up and accepting commands. */
  get isReady(): boolean {
    return this.clients?.main.isReady ?? false;
  }

  /**
   * @internal Follows client tracking for the L1 (`l1`): every invalidation push, and whether
   * tracking is live (every tracked connection up, and `CLIENT TRACKINGINFO` says on; see
   * {@link TrackingMonitor}). Returns whether this store tracks at all (`false` without `l1` or
   * on the memory store).
   */
  watchTracking(listener: TrackingListener): boolean {
    if (this.options.store !== 'redis' || this.options.l1 === false) return false;
    this.trackingListeners.push(listener);
    if (this.clients?.tracking) this.startTracking(this.clients.tracking, listener);
    return true;
  }

  private startTracking(source: TrackingSource, listener: TrackingListener): void {
    const monitor = new TrackingMonitor(source, listener, this.commands, this.errors);
    this.monitors.push(monitor);
    monitor.start();
  }

  /** The connection name set with CLIENT SETNAME, so operators can find this app's connections. */
  get connectionName(): string {
    return `${this.options.prefix}:readthrough`;
  }

  /** @internal Nest lifecycle: opens the connections (nothing for the memory store). */
  async onModuleInit(): Promise<void> {
    if (this.options.store !== 'redis') return;
    // The broadcast prefix (sentinel) is the key prefix: every key this module writes starts with it.
    const trackingPrefix = this.options.l1 === false ? undefined : `${this.options.prefix}:`;
    const clients = createRedisClients(this.options.connection, this.connectionName, trackingPrefix);
    this.clients = clients;
    if (clients.tracking) for (const listener of this.trackingListeners) this.startTracking(clients.tracking, listener);
    this.commands.attach(clients.commands, () => clients.scanNodes());
    this.subscriber.attach(() => clients.subscriber());
    await this.lifecycle.connect(clients, trackingPrefix !== undefined);
  }

  /** @internal Nest lifecycle: lets in-flight commands drain, then closes every connection. */
  async onApplicationShutdown(): Promise<void> {
    const clients = this.clients;
    if (!clients || !this.lifecycle.beginClose()) return;
    // The L1 stops serving before its connections go; nothing of the L1's own has to drain.
    for (const monitor of this.monitors) monitor.close();
    clients.tracking?.close();
    await this.subscriber.close();
    await this.lifecycle.close(clients);
    this.commands.dispose();
  }

  // The narrow cache commands, kept here for the documented API; see RedisCommandLane for each.
  /** GET as raw bytes, or `null` when the key does not exist. */
  get(key: string): Promise<Buffer | null> {
    return this.commands.get(key);
  }
  /** GET decoded as UTF-8, or `null`; cheaper than {@link get} for text (no Buffer copy). */
  getText(key: string): Promise<string | null> {
    return this.commands.getText(key);
  }
  /** SET with a time to live in milliseconds (`PX`): no key is ever written without one. */
  set(key: string, value: Buffer | string, ttlMs: number): Promise<void> {
    return this.commands.set(key, value, ttlMs);
  }
  /** SET NX PX: writes only if the key does not exist; resolves whether it wrote. */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    return this.commands.setIfAbsent(key, value, ttlMs);
  }
  /** Deletes the key only if it holds `value` (atomic compare-and-delete, for lock release). */
  deleteIfEquals(key: string, value: string): Promise<boolean> {
    return this.commands.deleteIfEquals(key, value);
  }
  /** UNLINK (non-blocking delete); returns how many keys existed. */
  unlink(key: string): Promise<number> {
    return this.commands.unlink(key);
  }
  /** Whether the key exists. */
  exists(key: string): Promise<boolean> {
    return this.commands.exists(key);
  }
  /** Remaining time to live in ms; -2 when the key does not exist, -1 when it has no TTL. */
  pttl(key: string): Promise<number> {
    return this.commands.pttl(key);
  }
  /** PING, bounded by the operation timeout. */
  ping(): Promise<void> {
    return this.commands.ping();
  }
  /** Deletes every key that starts with `keyPrefix`: SCAN + UNLINK in batches on every master, never KEYS or FLUSHDB. */
  deleteByPrefix(keyPrefix: string): Promise<number> {
    return this.commands.deleteByPrefix(keyPrefix);
  }

  /**
   * Escape hatch: runs `fn` with a connection that is yours alone for the duration of the
   * callback (node-redis pool for a single server; the cluster client, or a leased sentinel
   * master connection otherwise). Not bounded by the operation timeout.
   *
   * Errors thrown by `fn` reach you unchanged. While the cache connection is down, and when no
   * pooled connection frees up within `pool.acquireTimeout`, it rejects with
   * {@link RedisCacheConnectionError} without calling `fn`.
   *
   * @example
   * await pool.execute((client) => client.multi().incr('a').incr('b').exec());
   */
  execute<T>(fn: (client: RedisExecutionClient) => Promise<T>): Promise<T> {
    return executeOnLentConnection(this.clients, this.commands, fn);
  }
}

export type { TrackingListener } from './redis-tracking.monitor.js';

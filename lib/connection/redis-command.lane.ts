import type { Logger } from '@nestjs/common';
import { ErrorReply } from 'redis';
import { RedisCacheConnectionError } from '../errors/redis-cache-connection.error.js';
import type { ResolvedRedisCacheOptions } from '../options/resolved-redis-cache-options.interface.js';
import type { CircuitBreaker, CircuitState } from '../utils/circuit-breaker.util.js';
import type { BufferCommands, CacheCommands, ScanNode } from './redis-clients.factory.js';
import type { TrackedConnection } from './redis-tracking.sources.js';
import { CommandWindow } from './redis-command.window.js';
import { sweepPrefix } from './redis-prefix.sweep.js';
import { COMPARE_AND_DELETE, COMPARE_AND_EXPIRE, PREPARE_WRITE, SET_IF_UNCHANGED } from './redis-lua.scripts.js';
import { trackingFlags } from './redis-tracking.reply.js';
import { breakerOpen, createLaneBreaker } from './redis-lane.breaker.js';
import type { CacheEventsHub } from '../events/cache-events.hub.js';

/**
 * The cache's narrow Redis commands, on one multiplexed connection (pipelined: node-redis
 * writes concurrent commands back to back). Every command goes through a {@link CommandWindow}
 * (a bounded number in flight, the rest queued, each bounded by `operationTimeout` from its
 * write), is skipped while the circuit breaker is open, and fails fast while disconnected.
 *
 * Adding a command: one method that calls {@link bounded} with a one-line closure over
 * {@link BufferCommands} (extend that interface in the clients factory if node-redis' method
 * is not listed yet), so it gets the window, the deadline, the breaker and the attempt count.
 */
export class RedisCommandLane {
  private readonly window: CommandWindow;
  private readonly breaker: CircuitBreaker | undefined;
  private commands: CacheCommands | undefined;
  private scanNodes: (() => Promise<ScanNode[]>) | undefined;

  constructor(
    private readonly options: ResolvedRedisCacheOptions,
    logger: Logger,
    /** Receives `breaker-open` / `breaker-closed`. */
    events?: CacheEventsHub,
  ) {
    // The breaker reaches the window only once it opens, long after the window below exists.
    const breaker = createLaneBreaker(options, logger, events, (error) => this.window.rejectWaiting(error));
    this.breaker = breaker;
    this.window = new CommandWindow(
      options.operationTimeoutMs,
      breaker && {
        succeeded: () => breaker.succeeded(),
        // An error reply (WRONGTYPE, NOPERM...) means the server answered: it is up.
        failed: (error) => (error instanceof ErrorReply ? breaker.succeeded() : breaker.failed()),
      },
    );
  }

  /** State of the circuit breaker (`closed` when it is turned off). */
  get circuitState(): CircuitState {
    return this.breaker?.state ?? 'closed';
  }

  /** Commands sent to Redis since start-up (rejected by an open breaker: not counted). */
  get commandAttempts(): number {
    return this.window.written;
  }

  /** Commands refused at once, without reaching Redis, because too many were already waiting. */
  get commandsShed(): number {
    return this.window.shed;
  }

  /** Points the lane at a connection's commands (at module init). */
  attach(commands: CacheCommands, scanNodes: () => Promise<ScanNode[]>): void {
    this.commands = commands;
    this.scanNodes = scanNodes;
  }

  /** Stops the deadline's timer (at shutdown); commands still pending settle on their own. */
  dispose(): void {
    this.window.dispose();
  }

  /** GET as raw bytes, or `null` when the key does not exist. */
  get(key: string): Promise<Buffer | null> {
    return this.bounded((c) => c.bytes.get(key), 'GET');
  }

  /** GET decoded as UTF-8, or `null`: node-redis decodes the reply once, with no Buffer copy. */
  getText(key: string): Promise<string | null> {
    return this.bounded((c) => c.text.get(key), 'GET');
  }

  /** SET with a time to live in milliseconds (`PX`): no key is ever written without one. */
  async set(key: string, value: Buffer | string, ttlMs: number): Promise<void> {
    await this.bounded((c) => c.bytes.set(key, value, { expiration: { type: 'PX', value: ttlMs } }), 'SET');
  }

  /** SET NX PX: writes only if the key does not exist; resolves whether it wrote. */
  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    const reply = await this.bounded(
      (c) => c.bytes.set(key, value, { expiration: { type: 'PX', value: ttlMs }, condition: 'NX' }),
      'SET NX',
    );
    return reply !== null;
  }

  /** Deletes the key only if it holds `value` (atomic compare-and-delete, for lock release). */
  async deleteIfEquals(key: string, value: string): Promise<boolean> {
    const reply = await this.bounded(
      (c) => c.bytes.eval(COMPARE_AND_DELETE, { keys: [key], arguments: [value] }),
      'EVAL',
    );
    return reply === 1;
  }

  /** Sets the key's time to live to `ttlMs` only if it holds `value` (atomic compare-and-expire, for lock renewal). */
  async expireIfEquals(key: string, value: string, ttlMs: number): Promise<boolean> {
    const reply = await this.bounded(
      (c) => c.bytes.eval(COMPARE_AND_EXPIRE, { keys: [key], arguments: [value, String(ttlMs)] }),
      'EVAL',
    );
    return reply === 1;
  }

  /** Runs {@link PREPARE_WRITE}: resolves the SHA-1 (hex) of what `key` holds once an absent key got `marker`. */
  async prepareWrite(key: string, marker: string, markerTtlMs: number): Promise<string> {
    const reply = await this.bounded(
      (c) => c.bytes.eval(PREPARE_WRITE, { keys: [key], arguments: [marker, String(markerTtlMs)] }),
      'EVAL',
    );
    return String(reply);
  }

  /** Runs {@link SET_IF_UNCHANGED}: SET PX only if `key` still hashes to `stamp`; resolves whether it wrote. */
  async setIfUnchanged(key: string, stamp: string, value: Buffer | string, ttlMs: number): Promise<boolean> {
    const reply = await this.bounded(
      (c) => c.bytes.eval(SET_IF_UNCHANGED, { keys: [key], arguments: [stamp, value, String(ttlMs)] }),
      'EVAL',
    );
    return reply === 1;
  }

  /** MGET as text. In a cluster every key must be in one slot (tag keys share a hash tag). */
  mGetText(keys: string[]): Promise<(string | null)[]> {
    return this.bounded((c) => c.text.mGet(keys), 'MGET');
  }

  /**
   * `PEXPIRE key ms GT`: lengthens a time to live, never shortens it. Servers before Redis 7
   * refuse `GT`; that error reply is the caller's to tolerate.
   */
  extendTtl(key: string, ms: number): Promise<number> {
    return this.bounded((c) => c.bytes.pExpire(key, ms, 'GT'), 'PEXPIRE');
  }

  /** UNLINK of several keys at once (one slot in a cluster); returns how many existed. */
  unlinkAll(keys: string[]): Promise<number> {
    return this.bounded((c) => c.bytes.unlink(keys), 'UNLINK');
  }

  /**
   * The `CLIENT TRACKINGINFO` flags of one tracked connection (the cache connection, a cluster
   * node's, or the L1's own broadcast connection): asked on that connection, not routed.
   */
  async trackingFlags(connection: TrackingProbe): Promise<string[]> {
    return trackingFlags(
      await this.send(connection, (c) => c.sendCommand(['CLIENT', 'TRACKINGINFO']), 'CLIENT TRACKINGINFO'),
    );
  }

  /**
   * Puts `connection` in broadcast tracking for keys starting with `prefix`. The handshake
   * turned plain tracking on, and Redis switches modes only through OFF.
   */
  async trackPrefix(connection: TrackingProbe, prefix: string): Promise<void> {
    await this.send(connection, (c) => c.sendCommand(['CLIENT', 'TRACKING', 'OFF']), 'CLIENT TRACKING');
    await this.send(
      connection,
      (c) => c.sendCommand(['CLIENT', 'TRACKING', 'ON', 'BCAST', 'PREFIX', prefix]),
      'CLIENT TRACKING',
    );
  }

  /** PUBLISH; resolves how many subscribers (of the node it reached) received the message. */
  publish(channel: string, message: string): Promise<number> {
    return this.bounded((c) => c.bytes.publish(channel, message), 'PUBLISH');
  }

  /** UNLINK (non-blocking delete); returns how many keys existed. */
  unlink(key: string): Promise<number> {
    return this.bounded((c) => c.bytes.unlink(key), 'UNLINK');
  }

  /** Whether the key exists. */
  async exists(key: string): Promise<boolean> {
    return (await this.bounded((c) => c.bytes.exists(key), 'EXISTS')) > 0;
  }

  /** Remaining time to live in ms; -2 when the key does not exist, -1 when it has no TTL. */
  pttl(key: string): Promise<number> {
    return this.bounded((c) => c.bytes.pTTL(key), 'PTTL');
  }

  /** PING, bounded by the operation timeout. */
  async ping(): Promise<void> {
    await this.bounded((c) => c.bytes.ping(), 'PING');
  }

  /**
   * Deletes every key that starts with `keyPrefix` using SCAN + UNLINK in batches (never KEYS or
   * FLUSHDB), on every master of a cluster; `keyPrefix` only ever matches literally. Each SCAN
   * batch and each UNLINK is bounded like any other command (see {@link sweepPrefix}).
   */
  async deleteByPrefix(keyPrefix: string): Promise<number> {
    const scanNodes = this.scanNodes;
    if (!scanNodes) throw this.notConnected();
    return sweepPrefix(await scanNodes(), keyPrefix, (node, command, name) => this.send(node, command, name));
  }

  /** The error of a command sent before {@link attach} or with the memory store. */
  notConnected(): RedisCacheConnectionError {
    return new RedisCacheConnectionError(
      this.options.store === 'memory'
        ? 'RedisPoolService has no connection: the module is configured with store: "memory"'
        : 'RedisPoolService is not connected (module not initialised, or already shut down)',
    );
  }

  private bounded<T>(command: (commands: CacheCommands) => Promise<T>, name: string): Promise<T> {
    const commands = this.commands;
    if (!commands) return Promise.reject(this.notConnected());
    return this.send(commands, command, name);
  }

  private send<C, T>(context: C, command: (context: C) => Promise<T>, name: string): Promise<T> {
    if (this.breaker && !this.breaker.allow()) return Promise.reject(breakerOpen(name));
    return this.window.submit(context, command, name);
  }
}

/** The one command a tracking check needs of a connection. */
type TrackingProbe = Pick<TrackedConnection, 'sendCommand'>;

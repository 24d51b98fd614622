import type { Logger } from '@nestjs/common';
import { ErrorReply } from 'redis';
import { RedisCacheConnectionError } from '../errors/redis-cache-connection.error.js';
import type { ResolvedRedisCacheOptions } from '../options/resolved-redis-cache-options.interface.js';
import { CircuitBreaker, type CircuitState } from '../utils/circuit-breaker.util.js';
import type { BufferCommands, CacheCommands, ScanNode } from './redis-clients.factory.js';
import type { TrackedConnection } from './redis-tracking.sources.js';
import { CommandWindow } from './redis-command.window.js';
import { sweepPrefix } from './redis-prefix.sweep.js';
import type { CacheEventsHub } from '../events/cache-events.hub.js';

/** Releases a lock only for its owner, so a slow holder never deletes a successor's lock. */
const COMPARE_AND_DELETE =
  "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end";
/** Renews a lock only for its owner, so a holder whose lock passed on never extends a successor's. */
const COMPARE_AND_EXPIRE =
  "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end";

/**
 * The first step of a fenced write (see `CacheStore.prepareWrite`): an absent key gets the
 * caller's marker, and the reply is the SHA-1 of what the key holds, to compare at write time.
 */
const PREPARE_WRITE =
  "local v = redis.call('GET', KEYS[1]) if not v then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) v = ARGV[1] end return redis.sha1hex(v)";
/** Writes only if the key still holds what `PREPARE_WRITE` hashed: an eviction or newer write since wins. */
const SET_IF_UNCHANGED =
  "local v = redis.call('GET', KEYS[1]) if v and redis.sha1hex(v) == ARGV[1] then redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) return 1 end return 0";

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
    private readonly logger: Logger,
    /** Receives `breaker-open` / `breaker-closed`. */
    private readonly events?: CacheEventsHub,
  ) {
    const breakerOptions = options.circuitBreaker;
    const breaker = breakerOptions
      ? new CircuitBreaker(breakerOptions.failureThreshold, breakerOptions.cooldownMs, (state, previous) =>
          this.onBreakerChange(state, previous),
        )
      : undefined;
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

  private onBreakerChange(state: CircuitState, previous: CircuitState): void {
    if (state === 'open') {
      const cooldownMs = this.options.circuitBreaker && this.options.circuitBreaker.cooldownMs;
      this.logger.warn(
        `Circuit breaker open (was ${previous}): skipping Redis for ${cooldownMs} ms, calls run uncached`,
      );
      // Queued commands would only be written to the Redis the breaker just gave up on.
      this.window.rejectWaiting(breakerOpen('queued commands'));
      if (previous !== 'open') this.events?.emit({ type: 'breaker-open', previous });
    } else if (state === 'closed') {
      this.logger.log(`Circuit breaker closed: Redis answered the probe, caching resumes`);
      this.events?.emit({ type: 'breaker-closed' });
    }
  }
}

/** The one command a tracking check needs of a connection. */
type TrackingProbe = Pick<TrackedConnection, 'sendCommand'>;

function breakerOpen(name: string): RedisCacheConnectionError {
  return new RedisCacheConnectionError(`Redis skipped: circuit breaker open after repeated failures (${name})`);
}

/** The `flags` of a CLIENT TRACKINGINFO reply: a RESP3 map (a Map or an object) or a RESP2 flat list. */
function trackingFlags(reply: unknown): string[] {
  let flags: unknown;
  if (reply instanceof Map) flags = [...reply].find(([k]) => String(k) === 'flags')?.[1];
  else if (Array.isArray(reply)) flags = reply[reply.findIndex((item) => String(item) === 'flags') + 1];
  else if (typeof reply === 'object' && reply !== null) flags = (reply as Record<string, unknown>).flags;
  return Array.isArray(flags) ? flags.map(String) : [];
}

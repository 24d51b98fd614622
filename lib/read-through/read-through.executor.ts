import { Inject, Injectable, Logger } from '@nestjs/common';
import { RedisCacheConnectionError } from '../errors/redis-cache-connection.error.js';
import { RedisCacheError } from '../errors/redis-cache.error.js';
import type { ResolvedRedisCacheOptions } from '../options/resolved-redis-cache-options.interface.js';
import { LOGGER_CONTEXT, RESOLVED_REDIS_CACHE_OPTIONS } from '../redis-cache.constants.js';
import { CacheEntryCodec, type CacheEntry, type DecodeResult } from '../serializers/cache-entry.codec.js';
import { CacheStore } from '../store/cache.store.js';
import { describeError } from '../utils/redact.util.js';
import { ThrottledLogger } from '../utils/throttled-logger.util.js';
import { createReadThroughPolicy, freshMsFor, type ReadThroughPolicy } from './read-through.policy.js';
import { decideRefresh } from './refresh.policy.js';
import type { ReadThroughOutcome, ReadThroughSource, ReadThroughStats } from './read-through.types.js';
import { SingleFlight } from './single-flight.js';
import { StampedeLock } from './stampede.lock.js';
import { EntryWriter, type WriteTicket } from './entry-writer.js';
import { TagLedger } from './tag-ledger.js';
import { withHardTimeout, within } from './call-deadline.js';

export type { ReadThroughOutcome, ReadThroughSource, ReadThroughStats } from './read-through.types.js';

/**
 * The one read-through core behind `@ReadThrough` on services, the controller interceptor and
 * `RedisCacheService.wrap()`:
 *
 * key → store.get → decode → hit; or miss → single-flight → method → encode → store.set.
 *
 * Guarantees: a hit never runs the method; concurrent misses of one key in this process run it
 * once and share its result; a throwing method propagates its error unchanged and stores
 * nothing; store failures and bad stored bytes never fail the call (unless `failOpen: false`,
 * which throws `RedisCacheConnectionError` from the read, before the method runs).
 */
@Injectable()
export class ReadThroughExecutor {
  private readonly logger = new Logger(LOGGER_CONTEXT);
  private readonly warnings = new ThrottledLogger(this.logger);
  private readonly flights = new SingleFlight();
  private readonly counters: ReadThroughStats = {
    hits: 0,
    misses: 0,
    loads: 0,
    rejectedEntries: 0,
    storeErrors: 0,
    skippedWrites: 0,
    supersededWrites: 0,
    staleHits: 0,
    refreshes: 0,
    refreshFailures: 0,
    lockWaits: 0,
  };
  /** Policy for calls that bring no options of their own (`wrap(key, fn)`), built once. */
  readonly defaultPolicy: ReadThroughPolicy;
  /** The cross-process lock of policies with `lock`. */
  private readonly stampede: StampedeLock;
  private readonly ledger: TagLedger;
  private readonly writer: EntryWriter;
  /** Tag keys of the loads running in this process, so that invalidating a tag detaches them. */
  private readonly taggedLoads = new Map<string, readonly string[]>();

  constructor(
    private readonly cacheStore: CacheStore,
    @Inject(RESOLVED_REDIS_CACHE_OPTIONS) private readonly options: ResolvedRedisCacheOptions,
  ) {
    this.defaultPolicy = createReadThroughPolicy(options, 'RedisCacheService', undefined);
    this.stampede = new StampedeLock(cacheStore, `${options.prefix}:__lock__`, this.warnings);
    this.ledger = new TagLedger(cacheStore, options.prefix);
    this.writer = new EntryWriter(cacheStore, this.ledger);
  }

  /** The codec of the module's default serializer, shared by every policy that uses it. */
  get defaultCodec(): CacheEntryCodec {
    return this.defaultPolicy.codec;
  }

  /** A snapshot of the counters. */
  stats(): Readonly<ReadThroughStats> & { inflight: number } {
    return { ...this.counters, inflight: this.flights.size };
  }

  /**
   * The one read-through entry point of every path (`@ReadThrough` on providers, controller
   * routes, `wrap()`): the cached value of `key`, or `source.load()` run once (per process, per
   * key, at a time; under the cross-process lock when the policy has one), stored under
   * `policy`, and returned. The outcome says which it was, for callers that report it
   * (`X-Cache`).
   */
  async run<T>(key: string, policy: ReadThroughPolicy, source: ReadThroughSource<T>): Promise<ReadThroughOutcome<T>> {
    const ticket = this.flights.ticket();
    const tagKeys = source.tags && source.tags.length > 0 ? this.ledger.keysOf(source.tags) : undefined;
    const read: TagRead = { keys: tagKeys, versions: undefined };
    let writeBack = true;
    if (!source.revalidate) {
      const found = await this.lookup(key, policy, source.accept, read);
      if (typeof found === 'object') {
        const decision = decideRefresh(policy, found, Date.now());
        if (decision.stale) this.counters.staleHits++;
        if (decision.refresh) {
          const refreshing = this.refreshInBackground(key, policy, decision.stale, source, read);
          // timeout.soft: a stale caller may wait a little for the fresh value.
          if (decision.stale && policy.softTimeoutMs > 0) {
            const fresh = await within(refreshing, policy.softTimeoutMs);
            if (fresh) return { kind: 'miss', value: fresh.value as T };
          }
        }
        return { kind: decision.stale ? 'stale' : 'hit', value: found.value as T, entry: found };
      }
      writeBack = found === 'miss';
    }
    let ran = false;
    const flight = this.flights.run(key, ticket, () => {
      ran = true;
      return this.loadAndStore(key, policy, source.load, source, writeBack, read);
    });
    const value = await withHardTimeout(flight, policy.label, policy.hardTimeoutMs);
    return { kind: !ran ? 'joined' : writeBack ? 'miss' : 'bypass', value };
  }

  /**
   * Removes entries by their full keys, in every process (and detaches this process' loads of
   * them, so later callers do not get a value produced before the eviction). A load running
   * anywhere when the entry is evicted does not store its result (see {@link EntryWriter}).
   * Resolves how many keys existed; rejects on a store failure.
   */
  async evict(keys: readonly string[]): Promise<number> {
    for (const key of keys) this.flights.drop(key);
    const deleted = await Promise.all(keys.map((key) => this.cacheStore.delete(key)));
    return deleted.filter(Boolean).length;
  }

  /**
   * Invalidates every entry carrying one of `tags`, in every process, in one round trip whatever
   * their number (see {@link TagLedger}). Rejects on a store failure.
   */
  async invalidateTags(tags: readonly string[]): Promise<void> {
    const keys = new Set(this.ledger.keysOf(tags));
    for (const [key, loadTags] of this.taggedLoads) {
      if (loadTags.some((tag) => keys.has(tag))) this.flights.drop(key);
    }
    await this.ledger.invalidate(tags);
  }

  /**
   * Reads and decodes `key` without loading. Resolves `undefined` on a miss or a refused entry;
   * a store failure rejects (callers decide about failing open).
   */
  async read(key: string, codec: CacheEntryCodec): Promise<{ value: unknown } | undefined> {
    const raw = await this.fetch(key, codec);
    const entry = raw === null ? undefined : this.decodeEntry(key, raw, codec, 'RedisCacheService');
    if (!entry || (entry.tags && !(await this.ledger.isValid(entry.tags)))) return undefined;
    return { value: entry.value };
  }

  /**
   * The read half of {@link run}, for callers that drive the miss themselves (the HTTP
   * interceptor): the decoded entry on a hit; `'miss'` on a miss or a refused entry;
   * `'unavailable'` when the store failed and the module fails open (then the result should not
   * be written back either: the write would only wait out another timeout). Counts hits and misses.
   */
  private async lookup(
    key: string,
    policy: ReadThroughPolicy,
    accept: ((value: unknown) => unknown) | undefined,
    tagRead: TagRead,
  ): Promise<CacheEntry | 'miss' | 'unavailable'> {
    let raw: Buffer | string | null;
    try {
      if (tagRead.keys) {
        // The tag versions travel with the GET: a tagged hit costs one more command, not one more round trip.
        const [bytes, versions] = await Promise.all([this.fetch(key, policy.codec), this.ledger.current(tagRead.keys)]);
        raw = bytes;
        tagRead.versions = versions;
      } else {
        raw = await this.fetch(key, policy.codec);
      }
    } catch (error) {
      this.onStoreError('read', policy, error);
      if (!this.options.failOpen) throw asConnectionError(error);
      return 'unavailable';
    }
    const entry = raw === null ? undefined : this.decodeEntry(key, raw, policy.codec, policy.label, accept);
    if (entry && (!(entry.tags || tagRead.keys) || (await this.tagsHold(entry, tagRead)))) {
      this.counters.hits++;
      return entry;
    }
    this.counters.misses++;
    return 'miss';
  }

  /** Whether a decoded entry's tags still hold (a tag read failing reads as invalid: never a stale value). */
  private async tagsHold(entry: CacheEntry, tagRead: TagRead): Promise<boolean> {
    try {
      return await this.ledger.isValid(entry.tags, tagRead.keys, tagRead.versions);
    } catch (error) {
      this.counters.storeErrors++;
      this.warnings.warn('store-read', `cache read of tag versions failed: ${describeError(error)}`);
      return false;
    }
  }

  /** Decodes stored bytes; a refused entry is logged, counted and read as absent. */
  private decodeEntry(
    key: string,
    raw: Buffer | string,
    codec: CacheEntryCodec,
    label: string,
    accept?: (value: unknown) => unknown,
  ): CacheEntry | undefined {
    const decoded = codec.decode(raw);
    if (!decoded.ok) {
      // A write marker: another load is producing the value, nothing was refused.
      if (decoded.reason !== 'pending') this.onRejectedEntry(key, label, decoded);
      return undefined;
    }
    if (!accept) return decoded.entry;
    // The caller's own shape check (an HTTP entry): a value of another shape is refused too.
    const value = accept(decoded.entry.value);
    if (value !== undefined) return { ...decoded.entry, value };
    this.onRejectedEntry(key, label, {
      ok: false,
      reason: 'corrupt',
      cause: new TypeError('not an entry of this kind'),
    });
    return undefined;
  }

  /**
   * Encodes and stores `value` under `key`: fresh for the policy's TTL, kept in the store for
   * TTL + grace. Rejects on encode or store failure.
   */
  async write(key: string, value: unknown, policy: ReadThroughPolicy, loadMs = 0): Promise<void> {
    const now = Date.now();
    const entry = policy.codec.encode(value, now, now + policy.ttlMs, loadMs);
    await this.cacheStore.set(key, entry, policy.ttlMs + policy.graceMs);
  }

  /** Runs the method (under the lock when the policy has one) and, if `writeBack`, stores its result. */
  private loadAndStore<T>(
    key: string,
    policy: ReadThroughPolicy,
    load: () => Promise<T> | T,
    source: ReadThroughSource<T>,
    writeBack: boolean,
    tagRead: TagRead,
  ): Promise<T> {
    // With the store down there is nothing to coordinate through: no lock, no write.
    if (!writeBack) return this.loadNow(key, policy, load, source, undefined);
    // A request that asked to revalidate runs the method, as it asked: it never waits for a lock.
    if (source.revalidate) return this.loadNow(key, policy, load, source, tagRead);
    const accept = source.accept;
    return this.underLock(
      key,
      policy,
      tagRead.keys,
      () => this.loadNow(key, policy, load, source, tagRead),
      (entry) => (accept ? accept(entry.value) : entry.value) as T | undefined,
    );
  }

  /** Runs the method; with `tagRead` (writing), stamps the key first and stores the result after. */
  private async loadNow<T>(
    key: string,
    policy: ReadThroughPolicy,
    load: () => Promise<T> | T,
    source: ReadThroughSource<T>,
    tagRead: TagRead | undefined,
  ): Promise<T> {
    this.counters.loads++;
    let ticket: WriteTicket | undefined;
    if (tagRead) {
      try {
        ticket = await this.writer.begin(key, policy, tagRead.keys, tagRead.versions);
      } catch (error) {
        // Nothing to store safely through: run the method uncached.
        this.onStoreError('write', policy, error);
      }
    }
    if (tagRead?.keys) this.taggedLoads.set(key, tagRead.keys);
    const started = performance.now();
    let value: T;
    try {
      value = await load();
    } catch (error) {
      if (ticket) await this.abandon(key, ticket, policy);
      throw error;
    } finally {
      if (tagRead?.keys) this.taggedLoads.delete(key);
    }
    const freshMs = ticket && this.isStorable(value, policy) ? this.freshMsOf(value, policy, source) : 0;
    if (!ticket || freshMs <= 0) {
      this.counters.skippedWrites++;
      if (ticket) await this.abandon(key, ticket, policy);
    } else {
      await this.commit(key, ticket, value, policy, freshMs, performance.now() - started);
    }
    return value;
  }

  private async abandon(key: string, ticket: WriteTicket, policy: ReadThroughPolicy): Promise<void> {
    try {
      await this.writer.abandon(key, ticket);
    } catch (error) {
      // The marker expires on its own; until then the key reads as a miss.
      this.onStoreError('write', policy, error);
    }
  }

  /** How long a result stays fresh: the source's say (routes), else the policy's; a throwing `ttl` function: not stored. */
  private freshMsOf<T>(value: T, policy: ReadThroughPolicy, source: ReadThroughSource<T>): number {
    try {
      return source.ttlOf ? source.ttlOf(value) : freshMsFor(value, policy);
    } catch (error) {
      this.warnings.warn(
        `ttl:${policy.label}`,
        `${policy.label}: the ttl function failed, result not cached: ${describeError(error)}`,
      );
      return 0;
    }
  }

  /**
   * Encodes and stores a result through the write fence. Never rejects: an encode failure
   * (unserializable, over `maxValueBytes`) or a store failure is logged and counted, since the
   * caller already has its value. A key evicted or rewritten meanwhile is left as it is.
   */
  private async commit(
    key: string,
    ticket: WriteTicket,
    value: unknown,
    policy: ReadThroughPolicy,
    freshMs: number,
    loadMs: number,
  ): Promise<void> {
    try {
      const now = Date.now();
      const encoded = policy.codec.encode(value, now, now + freshMs, loadMs, ticket.tags);
      if (!(await this.writer.commit(key, ticket, encoded, freshMs + policy.graceMs))) this.counters.supersededWrites++;
    } catch (error) {
      if (error instanceof RedisCacheError && error.code === 'E_REDIS_CACHE_SERIALIZATION') {
        this.counters.skippedWrites++;
        this.warnings.warn(`encode:${policy.label}`, `${policy.label}: result not cached: ${describeError(error)}`);
        await this.abandon(key, ticket, policy);
      } else {
        this.onStoreError('write', policy, error);
      }
    }
  }

  /**
   * Cross-process single-flight for a miss of `key` when `policy` has a lock (else `work` runs at
   * once), see {@link StampedeLock}: one process runs `work` (which stores the result), the
   * others return what it stored. `reuse` turns a fresh entry another process stored into the
   * result (`undefined`: not usable, keep waiting). A store failure never blocks `work`.
   */
  private async underLock<T>(
    key: string,
    policy: ReadThroughPolicy,
    tagKeys: readonly string[] | undefined,
    work: () => Promise<T>,
    reuse: (entry: CacheEntry) => T | undefined,
  ): Promise<T> {
    const lock = policy.lock;
    if (!lock) return work();
    return this.stampede.run(`${this.options.prefix}:__lock__:${key}`, lock, {
      label: policy.label,
      work,
      reuse: async () => {
        const entry = await this.peek(key, policy, tagKeys);
        return entry && Date.now() < entry.freshUntil ? reuse(entry) : undefined;
      },
      storeError: (operation, error) => this.onStoreError(operation, policy, error),
      waiting: () => this.counters.lockWaits++,
    });
  }

  /** Reads and decodes without counting a hit or miss (lock polling). */
  private async peek(
    key: string,
    policy: ReadThroughPolicy,
    tagKeys: readonly string[] | undefined,
  ): Promise<CacheEntry | undefined> {
    try {
      const raw = await this.fetch(key, policy.codec);
      const decoded = raw === null ? undefined : policy.codec.decode(raw);
      if (!decoded?.ok) return undefined;
      const { entry } = decoded;
      if (!entry.tags && !tagKeys) return entry;
      const versions = tagKeys && (await this.ledger.current(tagKeys));
      return (await this.ledger.isValid(entry.tags, tagKeys, versions)) ? entry : undefined;
    } catch (error) {
      this.onStoreError('read', policy, error);
      return undefined;
    }
  }

  /** Starts a refresh of a hit (unless one runs for the key); resolves the refreshed value, or rejects with its error. */
  private refreshInBackground<T>(
    key: string,
    policy: ReadThroughPolicy,
    stale: boolean,
    source: ReadThroughSource<T>,
    tagRead: TagRead,
  ): Promise<unknown> {
    const running = this.flights.running(key);
    if (running) return running;
    this.counters.refreshes++;
    // A source's own refresh stores by itself (a route: its next request); else the method runs and is stored.
    const refresh = source.refresh;
    const refreshing = this.flights.run(key, this.flights.ticket(), () =>
      refresh ? Promise.resolve(refresh()) : this.loadAndStore(key, policy, source.load, source, true, tagRead),
    );
    refreshing.catch((error: unknown) => {
      this.counters.refreshFailures++;
      const kept = stale && policy.failSafe ? '; still serving the stale value (fail-safe)' : '';
      this.warnings.warn(
        `refresh:${policy.label}`,
        `${policy.label}: background refresh failed${kept}: ${describeError(error)}`,
      );
      if (stale && !policy.failSafe) {
        // Without fail-safe the next caller must run the method and see its error.
        this.cacheStore.delete(key).catch((deleteError: unknown) => this.onStoreError('write', policy, deleteError));
      }
    });
    return refreshing;
  }

  /** Reads an entry in the form its codec decodes fastest: a string for text serializers. */
  private fetch(key: string, codec: CacheEntryCodec): Promise<Buffer | string | null> {
    return codec.textual ? this.cacheStore.getText(key) : this.cacheStore.get(key);
  }

  /**
   * Whether a method result may be stored: never `undefined`; `null` only with `cacheNull`; then
   * condition/unless. A `condition` or `unless` that throws is logged and means "do not store":
   * the method succeeded, so its caller still gets the result.
   */
  isStorable(value: unknown, policy: ReadThroughPolicy): boolean {
    if (value === undefined) return false;
    if (value === null && !policy.cacheNull) return false;
    try {
      if (policy.condition && !policy.condition(value)) return false;
      if (policy.unless && policy.unless(value)) return false;
    } catch (error) {
      this.warnings.warn(
        `predicate:${policy.label}`,
        `${policy.label}: condition/unless threw, result not cached: ${describeError(error)}`,
      );
      return false;
    }
    return true;
  }

  private onStoreError(operation: 'read' | 'write', policy: ReadThroughPolicy, error: unknown): void {
    this.counters.storeErrors++;
    const outcome = operation === 'read' && this.options.failOpen ? '; running uncached' : '';
    this.warnings.warn(
      `store-${operation}`,
      `${policy.label}: cache ${operation} failed on the ${this.cacheStore.kind} store${outcome}: ${describeError(error)}`,
    );
  }

  private onRejectedEntry(key: string, label: string, decoded: DecodeResult & { ok: false }): void {
    this.counters.rejectedEntries++;
    const cause = decoded.cause === undefined ? '' : ` (${describeError(decoded.cause)})`;
    this.warnings.warn(
      `rejected:${decoded.reason}`,
      `${label}: ignored the stored entry at "${key}" (${decoded.reason})${cause}; treating it as a miss and overwriting it`,
    );
  }
}

/** The tag keys of a call and, once read with its GET, their versions. */
interface TagRead {
  readonly keys: readonly string[] | undefined;
  versions: (string | null)[] | undefined;
}

function asConnectionError(error: unknown): RedisCacheConnectionError {
  if (error instanceof RedisCacheConnectionError) return error;
  return new RedisCacheConnectionError(`Redis cache read failed: ${describeError(error)}`, { cause: error });
}

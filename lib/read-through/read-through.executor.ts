import { Inject, Injectable } from '@nestjs/common';
import type { ResolvedRedisCacheOptions } from '../options/resolved-redis-cache-options.interface.js';
import { RESOLVED_REDIS_CACHE_OPTIONS } from '../redis-cache.constants.js';
import type { CacheEntry, CacheEntryCodec } from '../serializers/cache-entry.codec.js';
import { CacheStore } from '../store/cache.store.js';
import { describeError } from '../utils/redact.util.js';
import type { ThrottledLogger } from '../utils/throttled-logger.util.js';
import { createReadThroughPolicy, freshMsFor, type ReadThroughPolicy } from './read-through.policy.js';
import { decideRefresh } from './refresh.policy.js';
import type {
  CacheStatsSnapshot,
  ReadThroughOutcome,
  ReadThroughSource,
  ReadThroughStats,
} from './read-through.types.js';
import { SingleFlight } from './single-flight.js';
import { StampedeLock } from './stampede.lock.js';
import { EntryWriter, storeEvent } from './entry-writer.js';
import { TagLedger } from './tag-ledger.js';
import { withHardTimeout, within } from './call-deadline.js';
import { EntryReader, type TagRead } from './entry-reader.js';
import { ReadThroughDiagnostics } from './read-through.diagnostics.js';
import { L1Cache } from '../l1/l1.cache.js';
import { CacheEventsHub, namespaceOfKey } from '../events/cache-events.hub.js';
import { errorName } from './read-through.diagnostics.js';

export type {
  CacheStatsSnapshot,
  ReadThroughOutcome,
  ReadThroughSource,
  ReadThroughStats,
} from './read-through.types.js';

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
  private readonly flights = new SingleFlight();
  private readonly diagnostics: ReadThroughDiagnostics;
  private readonly counters: ReadThroughStats;
  private readonly warnings: ThrottledLogger;
  private readonly reader: EntryReader;
  /** The in-process L1 (module option `l1`, Redis store), or `undefined`. */
  readonly l1: L1Cache | undefined;
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
    private readonly events: CacheEventsHub,
  ) {
    this.diagnostics = new ReadThroughDiagnostics(cacheStore.kind, options.failOpen, events, options.prefix);
    this.counters = this.diagnostics.counters;
    this.warnings = this.diagnostics.warnings;
    this.defaultPolicy = createReadThroughPolicy(options, 'RedisCacheService', undefined);
    this.stampede = new StampedeLock(cacheStore, `${options.prefix}:__lock__`, this.warnings);
    this.ledger = new TagLedger(cacheStore, options.prefix);
    this.writer = new EntryWriter(cacheStore, this.ledger, this.diagnostics, options.clock);
    // The L1 exists only where the store can report invalidations (Redis with client tracking).
    const l1 = options.l1 === false ? undefined : new L1Cache(options.l1, events);
    this.l1 = l1 && cacheStore.watchInvalidations(l1) ? l1 : undefined;
    this.reader = new EntryReader(cacheStore, this.ledger, this.diagnostics, options.failOpen, this.l1, options.clock);
  }

  /** The codec of the module's default serializer, shared by every policy that uses it. */
  get defaultCodec(): CacheEntryCodec {
    return this.defaultPolicy.codec;
  }

  /** A snapshot of the counters. */
  stats(): CacheStatsSnapshot {
    const l1 = this.l1 && { ...this.l1.stats, l1Size: this.l1.size, l1Live: this.l1.isServing };
    return { ...this.counters, inflight: this.flights.size, ...l1 };
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
    // Untagged calls (most) share one read record: only a call with tag keys gets versions written.
    const read: TagRead = tagKeys ? { keys: tagKeys, versions: undefined } : UNTAGGED;
    let writeBack = true;
    if (!source.revalidate) {
      const found = await this.reader.lookup(key, policy, source.accept, read);
      if (typeof found === 'object') {
        const decision = decideRefresh(policy, found, this.options.clock.now());
        if (decision.stale) this.counters.staleHits++;
        // One field read when nobody listens: the hit path builds no event.
        if (this.events.listening) this.events.emitAt(decision.stale ? 'stale-hit' : 'hit', policy);
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
    // A revalidation (forceFresh, @CachePut, refresh) runs now: it must not join an older load.
    if (source.revalidate) this.flights.drop(key);
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
  async evict(keys: readonly string[], label = 'RedisCacheService'): Promise<number> {
    if (this.events.listening && keys.length > 0) {
      const namespace = namespaceOfKey(this.options.prefix, keys[0]);
      this.events.emit({ type: 'evict', namespace, label, scope: 'keys', keys: keys.length });
    }
    for (const key of keys) {
      this.flights.drop(key);
      this.l1?.invalidate(key);
    }
    const deleted = await Promise.all(keys.map((key) => this.cacheStore.delete(key)));
    return deleted.filter(Boolean).length;
  }

  /** Deletes every key starting with `keyPrefix` (SCAN + UNLINK on Redis), this process' L1 entries first. */
  clear(keyPrefix: string, label = 'RedisCacheService'): Promise<number> {
    if (this.events.listening) {
      const namespace = namespaceOfKey(this.options.prefix, keyPrefix);
      this.events.emit({ type: 'evict', namespace, label, scope: 'prefix', keys: 0 });
    }
    this.l1?.invalidatePrefix(keyPrefix);
    return this.cacheStore.deleteByPrefix(keyPrefix);
  }

  /**
   * Invalidates every entry carrying one of `tags`, in every process, in one round trip whatever
   * their number (see {@link TagLedger}). Rejects on a store failure.
   */
  async invalidateTags(tags: readonly string[], label = 'RedisCacheService'): Promise<void> {
    // Tags span namespaces: the event names none.
    if (this.events.listening) this.events.emit({ type: 'invalidate-tags', namespace: '', label, tags: tags.length });
    const keys = new Set(this.ledger.keysOf(tags));
    for (const [key, loadTags] of this.taggedLoads) {
      if (loadTags.some((tag) => keys.has(tag))) this.flights.drop(key);
    }
    for (const key of keys) this.l1?.invalidate(key);
    await this.ledger.invalidate(tags);
  }

  /**
   * Reads and decodes `key` without loading. Resolves `undefined` on a miss or a refused entry;
   * a store failure rejects (callers decide about failing open).
   */
  async read(key: string, codec: CacheEntryCodec): Promise<{ value: unknown } | undefined> {
    const entry = await this.reader.read(key, codec, 'RedisCacheService');
    return entry && { value: entry.value };
  }

  /**
   * Encodes and stores `value` under `key`: fresh for the policy's TTL, kept in the store for
   * TTL + grace. Rejects on encode or store failure.
   */
  async write(key: string, value: unknown, policy: ReadThroughPolicy, loadMs = 0): Promise<void> {
    const now = this.options.clock.now();
    const entry = policy.codec.encode(value, now, now + policy.ttlMs, loadMs);
    this.l1?.invalidate(key);
    await this.cacheStore.set(key, entry, policy.ttlMs + policy.graceMs);
    if (this.events.listening) this.events.emit(storeEvent(policy, entry));
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
    // Without a ticket (not writing, or the store failed) the method runs uncached.
    const ticket = tagRead && (await this.writer.begin(key, policy, tagRead.keys, tagRead.versions));
    if (tagRead?.keys) this.taggedLoads.set(key, tagRead.keys);
    const started = performance.now();
    let value: T;
    try {
      // One field read without the OpenTelemetry spans; with them the load runs inside its span.
      value = await (this.events.traceLoad ? this.events.traceLoad(policy, load) : load());
    } catch (error) {
      if (this.events.listening) this.emitLoad(policy, started, 'error');
      if (ticket) await this.writer.abandon(key, ticket, policy);
      throw error;
    } finally {
      if (tagRead?.keys) this.taggedLoads.delete(key);
    }
    if (this.events.listening) this.emitLoad(policy, started, 'ok');
    const freshMs = ticket && this.isStorable(value, policy) ? this.lifetimeOf(value, policy, source) : 0;
    if (!ticket || freshMs <= 0) {
      this.counters.skippedWrites++;
      if (ticket) await this.writer.abandon(key, ticket, policy);
    } else {
      this.l1?.invalidate(key);
      await this.writer.store(key, ticket, value, policy, freshMs, performance.now() - started);
    }
    return value;
  }

  /** A `load` event: the method's own time, from `started` (a `performance.now()`). */
  private emitLoad(policy: ReadThroughPolicy, started: number, outcome: 'ok' | 'error'): void {
    const durationMs = performance.now() - started;
    this.events.emit({ type: 'load', namespace: policy.namespace, label: policy.label, durationMs, outcome });
  }

  /** How long a result stays fresh: the source's say (routes decide on the handler's value), else {@link freshMsOf}. */
  private lifetimeOf<T>(value: T, policy: ReadThroughPolicy, source: ReadThroughSource<T>): number {
    return source.ttlOf ? source.ttlOf(value) : this.freshMsOf(value, policy);
  }

  /**
   * How long `value` stays fresh under `policy` in ms (`negativeTtl`, the `ttl` function, else the
   * TTL); 0 means "do not store". A `ttl` function that throws is logged and reads as 0: the call
   * that produced the value still succeeds.
   */
  freshMsOf(value: unknown, policy: ReadThroughPolicy): number {
    try {
      return freshMsFor(value, policy);
    } catch (error) {
      this.warnings.warn(
        `ttl:${policy.label}`,
        `${policy.label}: the ttl function failed, result not cached: ${describeError(error)}`,
      );
      return 0;
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
        const entry = await this.reader.peek(key, policy, tagKeys);
        return entry && this.options.clock.now() < entry.freshUntil ? reuse(entry) : undefined;
      },
      storeError: (operation, error) => this.diagnostics.storeError(operation, policy.label, error, policy.namespace),
      waiting: () => {
        this.counters.lockWaits++;
        this.events.emitAt('lock-wait', policy);
      },
    });
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
    if (this.events.listening) {
      this.events.emit({ type: 'refresh', namespace: policy.namespace, label: policy.label, stale });
    }
    // A source's own refresh stores by itself (a route: its next request); else the method runs and is stored.
    const refresh = source.refresh;
    const refreshing = this.flights.run(key, this.flights.ticket(), () =>
      refresh ? Promise.resolve(refresh()) : this.loadAndStore(key, policy, source.load, source, true, tagRead),
    );
    refreshing.catch((error: unknown) => {
      this.counters.refreshFailures++;
      if (this.events.listening) {
        const { namespace, label } = policy;
        this.events.emit({ type: 'refresh-failed', namespace, label, errorName: errorName(error) });
      }
      const kept = stale && policy.failSafe ? '; still serving the stale value (fail-safe)' : '';
      this.warnings.warn(
        `refresh:${policy.label}`,
        `${policy.label}: background refresh failed${kept}: ${describeError(error)}`,
      );
      if (stale && !policy.failSafe) {
        // Without fail-safe the next caller must run the method and see its error.
        this.cacheStore
          .delete(key)
          .catch((deleteError: unknown) =>
            this.diagnostics.storeError('write', policy.label, deleteError, policy.namespace),
          );
      }
    });
    return refreshing;
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
}

/** The tag read of every untagged call: no keys, so no versions are ever written to it. */
const UNTAGGED: TagRead = Object.freeze({ keys: undefined, versions: undefined }) as TagRead;

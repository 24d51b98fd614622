import { Inject, Injectable } from '@nestjs/common';
import type { ResolvedRedisCacheOptions } from '../options/resolved-redis-cache-options.interface.js';
import { RESOLVED_REDIS_CACHE_OPTIONS } from '../redis-cache.constants.js';
import type { CacheEntryCodec } from '../serializers/cache-entry.codec.js';
import { CacheStore } from '../store/cache.store.js';
import { createReadThroughPolicy, type ReadThroughPolicy } from './read-through.policy.js';
import { decideRefresh } from './refresh.policy.js';
import type {
  CacheStatsSnapshot,
  ReadThroughOutcome,
  ReadThroughSource,
  ReadThroughStats,
} from './read-through.types.js';
import { SingleFlight } from './single-flight.js';
import { EntryWriter, storeEvent } from './entry-writer.js';
import { EntryLoader } from './entry-loader.js';
import { TagLedger } from './tag-ledger.js';
import { withHardTimeout, within } from './call-deadline.js';
import { EntryReader, type Lookup, type TagRead } from './entry-reader.js';
import { EntryInspector } from './entry-inspector.js';
import { ReadThroughDiagnostics } from './read-through.diagnostics.js';
import { L1Cache } from '../l1/l1.cache.js';
import { CacheEventsHub, namespaceOfKey } from '../events/cache-events.hub.js';

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
  private readonly counters: ReadThroughStats;
  private readonly reader: EntryReader;
  private readonly inspector: EntryInspector;
  private readonly loader: EntryLoader;
  /** The in-process L1 (module option `l1`, Redis store), or `undefined`. */
  readonly l1: L1Cache | undefined;
  /** Policy for calls that bring no options of their own (`wrap(key, fn)`), built once. */
  readonly defaultPolicy: ReadThroughPolicy;
  private readonly ledger: TagLedger;

  constructor(
    private readonly cacheStore: CacheStore,
    @Inject(RESOLVED_REDIS_CACHE_OPTIONS) private readonly options: ResolvedRedisCacheOptions,
    private readonly events: CacheEventsHub,
  ) {
    const diagnostics = new ReadThroughDiagnostics(cacheStore.kind, options.failOpen, events, options.prefix);
    this.counters = diagnostics.counters;
    this.defaultPolicy = createReadThroughPolicy(options, 'RedisCacheService', undefined);
    this.ledger = new TagLedger(cacheStore, options.prefix);
    const writer = new EntryWriter(cacheStore, this.ledger, diagnostics, options.clock);
    // The L1 exists only where the store can report invalidations (Redis with client tracking).
    const l1 = options.l1 === false ? undefined : new L1Cache(options.l1, events);
    this.l1 = l1 && cacheStore.watchInvalidations(l1) ? l1 : undefined;
    this.reader = new EntryReader(cacheStore, this.ledger, diagnostics, options.failOpen, this.l1, options.clock);
    const inspector = (this.inspector = new EntryInspector(cacheStore, this.ledger, diagnostics));
    this.loader = new EntryLoader(cacheStore, options, events, diagnostics, this.flights, inspector, writer, this.l1);
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
    // A revalidation (forceFresh, @CachePut, refresh) skips the read and stores what it loads.
    if (source.revalidate) return this.answer(key, policy, source, ticket, read, 'miss');
    return this.reader.lookup(key, policy, source.accept, read, (found) =>
      this.answer(key, policy, source, ticket, read, found),
    );
  }

  /**
   * {@link run} for callers that want only the value (`@ReadThrough` on providers): an untagged
   * hit that needs no refresh settles in one step, without an outcome object or the clock.
   */
  value<T>(key: string, policy: ReadThroughPolicy, source: ReadThroughSource<T>): Promise<T> {
    if (source.revalidate || (source.tags && source.tags.length > 0))
      return this.run(key, policy, source).then(valueOf);
    const ticket = this.flights.ticket();
    return this.reader.lookup(key, policy, source.accept, UNTAGGED, (found): T | Promise<T> => {
      if (typeof found === 'object' && policy.graceMs === 0 && policy.earlyRefreshBeta === 0) {
        if (this.events.listening) this.events.emitAt('hit', policy);
        return found.value as T;
      }
      return this.answer(key, policy, source, ticket, UNTAGGED, found).then(valueOf);
    });
  }

  /** The rest of {@link run} once the store was read: serve the hit (refreshing it if due), else load. */
  private async answer<T>(
    key: string,
    policy: ReadThroughPolicy,
    source: ReadThroughSource<T>,
    ticket: number,
    read: TagRead,
    found: Lookup,
  ): Promise<ReadThroughOutcome<T>> {
    if (typeof found === 'object') {
      const decision = decideRefresh(policy, found, this.options.clock.now());
      if (decision.stale) this.counters.staleHits++;
      // One field read when nobody listens: the hit path builds no event.
      if (this.events.listening) this.events.emitAt(decision.stale ? 'stale-hit' : 'hit', policy);
      if (decision.refresh) {
        const refreshing = this.loader.refreshInBackground(key, policy, decision.stale, source, read);
        // timeout.soft: a stale caller may wait a little for the fresh value.
        if (decision.stale && policy.softTimeoutMs > 0) {
          const fresh = await within(refreshing, policy.softTimeoutMs);
          if (fresh) return { kind: 'miss', value: fresh.value as T };
        }
      }
      return { kind: decision.stale ? 'stale' : 'hit', value: found.value as T, entry: found };
    }
    const writeBack = found === 'miss';
    // A revalidation must not join an older load.
    if (source.revalidate) this.flights.drop(key);
    let ran = false;
    // The caller's shape check tells the kinds of reader apart (a route's parser; undefined for methods).
    const flight = this.flights.run(
      key,
      ticket,
      () => {
        ran = true;
        return this.loader.loadAndStore(key, policy, source.load, source, writeBack, read);
      },
      source.accept,
    );
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
    this.loader.detachTagged(keys);
    for (const key of keys) this.l1?.invalidate(key);
    await this.ledger.invalidate(tags);
  }

  /**
   * Reads and decodes `key` without loading. Resolves `undefined` on a miss or a refused entry;
   * a store failure rejects (callers decide about failing open).
   */
  async read(key: string, codec: CacheEntryCodec): Promise<{ value: unknown } | undefined> {
    const entry = await this.inspector.read(key, codec, 'RedisCacheService');
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
  /** Whether a method result may be stored under `policy` (see {@link EntryLoader.isStorable}). */
  isStorable(value: unknown, policy: ReadThroughPolicy): boolean {
    return this.loader.isStorable(value, policy);
  }

  /** How long `value` stays fresh under `policy` in ms; 0: do not store (see {@link EntryLoader.freshMsOf}). */
  freshMsOf(value: unknown, policy: ReadThroughPolicy): number {
    return this.loader.freshMsOf(value, policy);
  }
}

/** The value of an outcome. */
export function valueOf<T>(outcome: ReadThroughOutcome<T>): T {
  return outcome.value;
}

/** The tag read of every untagged call: no keys, so no versions are ever written to it. */
const UNTAGGED: TagRead = Object.freeze({ keys: undefined, versions: undefined }) as TagRead;

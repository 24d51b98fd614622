import { performance } from 'node:perf_hooks';
import type { ResolvedRedisCacheOptions } from '../options/resolved-redis-cache-options.interface.js';
import type { CacheEntry } from '../serializers/cache-entry.codec.js';
import type { CacheStore } from '../store/cache.store.js';
import { describeError } from '../utils/redact.util.js';
import type { ThrottledLogger } from '../utils/throttled-logger.util.js';
import type { L1Cache } from '../l1/l1.cache.js';
import type { CacheEventsHub } from '../events/cache-events.hub.js';
import { freshMsFor, type ReadThroughPolicy } from './read-through.policy.js';
import type { ReadThroughSource, ReadThroughStats } from './read-through.types.js';
import type { SingleFlight } from './single-flight.js';
import { StampedeLock } from './stampede.lock.js';
import type { EntryWriter } from './entry-writer.js';
import type { TagRead } from './entry-reader.js';
import type { EntryInspector } from './entry-inspector.js';
import { errorName, type ReadThroughDiagnostics } from './read-through.diagnostics.js';

/**
 * The loading half of the executor: runs the method (under the cross-process lock when the
 * policy has one), stores its result through the fenced writer, and refreshes hits in the
 * background. Whether and how long a result is stored is decided here too.
 */
export class EntryLoader {
  /** The cross-process lock of policies with `lock`. */
  private readonly stampede: StampedeLock;
  private readonly counters: ReadThroughStats;
  private readonly warnings: ThrottledLogger;
  /** Tag keys of the loads running in this process, so that invalidating a tag detaches them. */
  private readonly taggedLoads = new Map<string, readonly string[]>();

  constructor(
    private readonly cacheStore: CacheStore,
    private readonly options: ResolvedRedisCacheOptions,
    private readonly events: CacheEventsHub,
    private readonly diagnostics: ReadThroughDiagnostics,
    private readonly flights: SingleFlight,
    private readonly inspector: EntryInspector,
    private readonly writer: EntryWriter,
    private readonly l1: L1Cache | undefined,
  ) {
    this.counters = diagnostics.counters;
    this.warnings = diagnostics.warnings;
    this.stampede = new StampedeLock(cacheStore, `${options.prefix}:__lock__`, this.warnings);
  }

  /** Detaches this process' loads that carry one of `tagKeys`: their results predate the invalidation. */
  detachTagged(tagKeys: ReadonlySet<string>): void {
    for (const [key, loadTags] of this.taggedLoads) {
      if (loadTags.some((tag) => tagKeys.has(tag))) this.flights.drop(key);
    }
  }

  /** Runs the method (under the lock when the policy has one) and, if `writeBack`, stores its result. */
  loadAndStore<T>(
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
        const entry = await this.inspector.peek(key, policy, tagKeys);
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
  refreshInBackground<T>(
    key: string,
    policy: ReadThroughPolicy,
    stale: boolean,
    source: ReadThroughSource<T>,
    tagRead: TagRead,
  ): Promise<unknown> {
    const running = this.flights.running(key, source.accept);
    if (running) return running;
    this.counters.refreshes++;
    if (this.events.listening) {
      this.events.emit({ type: 'refresh', namespace: policy.namespace, label: policy.label, stale });
    }
    // A source's own refresh stores by itself (a route: its next request); else the method runs and is stored.
    const refresh = source.refresh;
    const refreshing = this.flights.run(
      key,
      this.flights.ticket(),
      () => (refresh ? Promise.resolve(refresh()) : this.loadAndStore(key, policy, source.load, source, true, tagRead)),
      source.accept,
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

import { asConnectionError } from '../errors/connection-error.wrap.js';
import type { CacheEntry } from '../serializers/cache-entry.codec.js';
import type { CacheStore } from '../store/cache.store.js';
import type { ReadThroughDiagnostics } from './read-through.diagnostics.js';
import type { ReadThroughPolicy } from './read-through.policy.js';
import type { TagLedger } from './tag-ledger.js';
import type { L1Cache } from '../l1/l1.cache.js';
import type { L1Reader } from '../l1/l1.types.js';
import { SYSTEM_CLOCK, type CacheClock } from '../clock/cache.clock.js';
import { decodeStored, fetchStored } from './stored-entry.decode.js';
import type { EntryInspector } from './entry-inspector.js';

/** What {@link EntryReader.lookup} found: a valid entry, nothing usable, or a failed store (failing open). */
export type Lookup = CacheEntry | 'miss' | 'unavailable';

/** The tag keys of a call and, once read with its GET, their versions. */
export interface TagRead {
  readonly keys: readonly string[] | undefined;
  versions: (string | null)[] | undefined;
}

/**
 * The reading half of the executor on the hit path (L1, then Redis): fetches an entry in the
 * form its codec decodes fastest, decodes and validates it (envelope, the caller's shape check,
 * tag versions). A refused entry, a write marker or an invalidated tag reads as absent; only a
 * store failure rejects. Reads off the hit path are {@link EntryInspector}'s.
 */
export class EntryReader {
  constructor(
    private readonly store: CacheStore,
    private readonly ledger: TagLedger,
    private readonly diagnostics: ReadThroughDiagnostics,
    private readonly failOpen: boolean,
    private readonly l1: L1Cache | undefined,
    private readonly clock: CacheClock = SYSTEM_CLOCK,
  ) {}

  /**
   * The read of a read-through call, handed to `next`: the valid entry on a hit; `'miss'` on a
   * miss, a refused or invalidated entry; `'unavailable'` when the store failed and the module
   * fails open (the result should then not be written back either). Counts hits and misses. With
   * tag keys, their versions are read with the GET and left in `tagRead` for the write.
   *
   * `next` runs inside the reader's own continuation: a hit costs the caller one promise, not one
   * per layer (at concurrency 64 every promise hop on the hit path shows in the throughput).
   */
  lookup<R>(
    key: string,
    policy: ReadThroughPolicy,
    accept: ((value: unknown) => unknown) | undefined,
    tagRead: TagRead,
    next: (found: Lookup) => R | PromiseLike<R>,
  ): Promise<R> {
    const l1 = policy.l1 ? this.l1 : undefined;
    if (!l1?.isServing) return this.lookupL2(key, policy, accept, tagRead, undefined, next);
    const reader: L1Reader = { codec: policy.codec, accept };
    const held = l1.get(key, this.clock.now(), tagRead.keys, reader, (raw) =>
      decodeStored(this.diagnostics, key, raw, policy.codec, policy.label, accept),
    );
    if (held) {
      this.diagnostics.counters.hits++;
      const events = this.diagnostics.events;
      if (events.listening) events.emitAt('l1-hit', policy);
      try {
        return Promise.resolve(next(held));
      } catch (error) {
        return Promise.reject(error as Error);
      }
    }
    const readSeq = l1.beginRead(key);
    const fill = (raw: Buffer | string, entry: CacheEntry): void =>
      l1.fill(key, readSeq, raw, entry, tagRead.keys, reader, this.clock.now());
    // The read ends when Redis answered, not when the caller's load does.
    return this.lookupL2(key, policy, accept, tagRead, fill, same)
      .finally(() => l1.endRead(key))
      .then(next);
  }

  /** The Redis half of {@link lookup}: `.then` on the store's reply rather than an async function. */
  private lookupL2<R>(
    key: string,
    policy: ReadThroughPolicy,
    accept: ((value: unknown) => unknown) | undefined,
    tagRead: TagRead,
    fill: ((raw: Buffer | string, entry: CacheEntry) => void) | undefined,
    next: (found: Lookup) => R | PromiseLike<R>,
  ): Promise<R> {
    return this.reply(key, policy, tagRead).then(
      (raw) => {
        // A compressed entry met by a text read (see EntryInspector.fetchBytesIfNeeded): read again, as bytes.
        if (typeof raw === 'string' && policy.codec.needsBytes(raw)) {
          return rejecting(() => this.store.get(key))
            .then(
              (bytes) => this.settle(key, policy, accept, tagRead, fill, bytes),
              (error: unknown) => this.failed(policy, error),
            )
            .then(next);
        }
        const found = this.settle(key, policy, accept, tagRead, fill, raw);
        return found instanceof Promise ? found.then(next) : next(found);
      },
      (error: unknown) => next(this.failed(policy, error)),
    );
  }

  /**
   * The store's answer for {@link lookupL2}; with tag keys their versions travel with the GET (a
   * tagged hit costs one more command, not one more round trip). A store that throws instead of
   * rejecting (a custom one) is read as a rejection, so the call still fails open.
   */
  private reply(key: string, policy: ReadThroughPolicy, tagRead: TagRead): Promise<Buffer | string | null> {
    // try/catch rather than rejecting(): no closure per hit.
    try {
      if (!tagRead.keys) return fetchStored(this.store, key, policy.codec);
      return Promise.all([fetchStored(this.store, key, policy.codec), this.ledger.current(tagRead.keys)]).then(
        ([bytes, versions]) => {
          tagRead.versions = versions;
          return bytes;
        },
      );
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  /** A store read failed: counted and logged; `'unavailable'` when failing open, else the error. */
  private failed(policy: ReadThroughPolicy, error: unknown): 'unavailable' {
    this.diagnostics.storeError('read', policy.label, error, policy.namespace);
    if (!this.failOpen) throw asConnectionError(error, 'Redis cache read failed');
    return 'unavailable';
  }

  /** Decodes and validates what {@link lookupL2} read; a promise only when the entry's tags must be read. */
  private settle(
    key: string,
    policy: ReadThroughPolicy,
    accept: ((value: unknown) => unknown) | undefined,
    tagRead: TagRead,
    fill: ((raw: Buffer | string, entry: CacheEntry) => void) | undefined,
    raw: Buffer | string | null,
  ): CacheEntry | 'miss' | Promise<CacheEntry | 'miss'> {
    const entry =
      raw === null ? undefined : decodeStored(this.diagnostics, key, raw, policy.codec, policy.label, accept);
    if (entry === undefined) return this.missed(policy);
    if (!(entry.tags || tagRead.keys)) return this.found(fill, raw!, entry);
    if (tagRead.keys && tagRead.versions) {
      const valid = this.ledger.holds(entry.tags, tagRead.keys, tagRead.versions);
      return valid ? this.found(fill, raw!, entry) : this.missed(policy);
    }
    return this.tagsHold(entry, tagRead).then((valid) => (valid ? this.found(fill, raw!, entry) : this.missed(policy)));
  }

  private found(
    fill: ((raw: Buffer | string, entry: CacheEntry) => void) | undefined,
    raw: Buffer | string,
    entry: CacheEntry,
  ): CacheEntry {
    this.diagnostics.counters.hits++;
    // Only fresh entries go to L1: stale ones take the refresh path every time.
    if (fill && this.clock.now() < entry.freshUntil) fill(raw, entry);
    return entry;
  }

  private missed(policy: ReadThroughPolicy): 'miss' {
    this.diagnostics.counters.misses++;
    if (this.diagnostics.events.listening) this.diagnostics.events.emitAt('miss', policy);
    return 'miss';
  }

  /** Whether a decoded entry's tags still hold, reading them (a read failing reads as invalid: never a stale value). */
  private async tagsHold(entry: CacheEntry, tagRead: TagRead): Promise<boolean> {
    try {
      return await this.ledger.isValid(entry.tags, tagRead.keys, tagRead.versions);
    } catch (error) {
      this.diagnostics.storeError('read', 'tags', error);
      return false;
    }
  }
}

/** `read()`, with a synchronous throw (a custom store's) turned into a rejection. */
function rejecting<T>(read: () => Promise<T>): Promise<T> {
  try {
    return read();
  } catch (error) {
    return Promise.reject(error as Error);
  }
}

function same<T>(value: T): T {
  return value;
}

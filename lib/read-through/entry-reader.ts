import { RedisCacheConnectionError } from '../errors/redis-cache-connection.error.js';
import type { CacheEntry, CacheEntryCodec } from '../serializers/cache-entry.codec.js';
import type { CacheStore } from '../store/cache.store.js';
import { describeError } from '../utils/redact.util.js';
import type { ReadThroughDiagnostics } from './read-through.diagnostics.js';
import type { ReadThroughPolicy } from './read-through.policy.js';
import type { TagLedger } from './tag-ledger.js';
import type { L1Cache } from '../l1/l1.cache.js';
import { SYSTEM_CLOCK, type CacheClock } from '../clock/cache.clock.js';

/** The tag keys of a call and, once read with its GET, their versions. */
export interface TagRead {
  readonly keys: readonly string[] | undefined;
  versions: (string | null)[] | undefined;
}

/**
 * The reading half of the executor: fetches an entry in the form its codec decodes fastest,
 * decodes and validates it (envelope, the caller's shape check, tag versions). A refused entry,
 * a write marker or an invalidated tag reads as absent; only a store failure rejects.
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
   * The read of a read-through call: the valid entry on a hit; `'miss'` on a miss, a refused or
   * invalidated entry; `'unavailable'` when the store failed and the module fails open (the
   * result should then not be written back either). Counts hits and misses. With tag keys, their
   * versions are read with the GET and left in `tagRead` for the write.
   */
  lookup(
    key: string,
    policy: ReadThroughPolicy,
    accept: ((value: unknown) => unknown) | undefined,
    tagRead: TagRead,
  ): Promise<CacheEntry | 'miss' | 'unavailable'> {
    // Not async: handing back lookupL2's promise as is saves the hit path a promise hop.
    const l1 = policy.l1 ? this.l1 : undefined;
    if (!l1?.isServing) return this.lookupL2(key, policy, accept, tagRead, undefined);
    return this.lookupL1(key, policy, accept, tagRead, l1);
  }

  private async lookupL1(
    key: string,
    policy: ReadThroughPolicy,
    accept: ((value: unknown) => unknown) | undefined,
    tagRead: TagRead,
    l1: L1Cache,
  ): Promise<CacheEntry | 'miss' | 'unavailable'> {
    const held = l1.get(key, this.clock.now(), tagRead.keys, (raw) =>
      this.decode(key, raw, policy.codec, policy.label, accept),
    );
    if (held) {
      this.diagnostics.counters.hits++;
      const events = this.diagnostics.events;
      if (events.listening) events.emitAt('l1-hit', policy);
      return held;
    }
    const readSeq = l1.beginRead(key);
    try {
      return await this.lookupL2(key, policy, accept, tagRead, (raw, entry) =>
        l1.fill(key, readSeq, raw, entry, tagRead.keys, this.clock.now()),
      );
    } finally {
      l1.endRead(key);
    }
  }

  private async lookupL2(
    key: string,
    policy: ReadThroughPolicy,
    accept: ((value: unknown) => unknown) | undefined,
    tagRead: TagRead,
    fill: ((raw: Buffer | string, entry: CacheEntry) => void) | undefined,
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
      // A compressed entry met by a text read (see fetchBytesIfNeeded); inline: the plain hit stays one await.
      if (typeof raw === 'string' && policy.codec.needsBytes(raw)) raw = await this.store.get(key);
    } catch (error) {
      this.diagnostics.storeError('read', policy.label, error, policy.namespace);
      if (!this.failOpen) throw asConnectionError(error);
      return 'unavailable';
    }
    const entry = raw === null ? undefined : this.decode(key, raw, policy.codec, policy.label, accept);
    const valid =
      entry !== undefined &&
      (!(entry.tags || tagRead.keys) ||
        (tagRead.keys && tagRead.versions
          ? this.ledger.holds(entry.tags, tagRead.keys, tagRead.versions)
          : await this.tagsHold(entry, tagRead)));
    if (valid) {
      this.diagnostics.counters.hits++;
      // Only fresh entries go to L1: stale ones take the refresh path every time.
      if (fill && raw !== null && this.clock.now() < entry.freshUntil) fill(raw, entry);
      return entry;
    }
    this.diagnostics.counters.misses++;
    if (this.diagnostics.events.listening) this.diagnostics.events.emitAt('miss', policy);
    return 'miss';
  }

  /** Reads and validates `key` without loading or counting; rejects on a store failure. */
  async read(key: string, codec: CacheEntryCodec, label: string): Promise<CacheEntry | undefined> {
    const raw = await this.fetchBytesIfNeeded(key, codec);
    const entry = raw === null ? undefined : this.decode(key, raw, codec, label);
    if (!entry || (entry.tags && !(await this.ledger.isValid(entry.tags)))) return undefined;
    return entry;
  }

  /** {@link read} for lock polling: quiet (no count, no warning for refused bytes), never rejects. */
  async peek(
    key: string,
    policy: ReadThroughPolicy,
    tagKeys: readonly string[] | undefined,
  ): Promise<CacheEntry | undefined> {
    try {
      const raw = await this.fetchBytesIfNeeded(key, policy.codec);
      const decoded = raw === null ? undefined : policy.codec.decode(raw);
      if (!decoded?.ok) return undefined;
      const { entry } = decoded;
      if (!entry.tags && !tagKeys) return entry;
      const versions = tagKeys && (await this.ledger.current(tagKeys));
      return (await this.ledger.isValid(entry.tags, tagKeys, versions)) ? entry : undefined;
    } catch (error) {
      this.diagnostics.storeError('read', policy.label, error, policy.namespace);
      return undefined;
    }
  }

  /** Decodes stored bytes; a refused entry is logged, counted and read as absent. */
  private decode(
    key: string,
    raw: Buffer | string,
    codec: CacheEntryCodec,
    label: string,
    accept?: (value: unknown) => unknown,
  ): CacheEntry | undefined {
    const decoded = codec.decode(raw);
    if (!decoded.ok) {
      // A write marker: another load is producing the value, nothing was refused.
      if (decoded.reason !== 'pending') this.diagnostics.rejected(key, label, decoded);
      return undefined;
    }
    if (!accept) return decoded.entry;
    // The caller's own shape check (an HTTP entry): a value of another shape is refused too.
    const value = accept(decoded.entry.value);
    if (value !== undefined) return { ...decoded.entry, value };
    this.diagnostics.rejected(key, label, {
      ok: false,
      reason: 'corrupt',
      cause: new TypeError('not an entry of this kind'),
    });
    return undefined;
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

  /** Reads an entry in the form its codec decodes fastest: a string for text serializers. */
  private fetch(key: string, codec: CacheEntryCodec): Promise<Buffer | string | null> {
    return codec.textual ? this.store.getText(key) : this.store.get(key);
  }

  /**
   * {@link fetch}, then, when a text read met a compressed entry (written by a codec that
   * compresses; UTF-8 decoding mangled its payload), the key again as bytes. Only readers
   * without compression of their own pay this second round trip; see README "Compression".
   */
  private async fetchBytesIfNeeded(key: string, codec: CacheEntryCodec): Promise<Buffer | string | null> {
    const raw = await this.fetch(key, codec);
    return typeof raw === 'string' && codec.needsBytes(raw) ? this.store.get(key) : raw;
  }
}

function asConnectionError(error: unknown): RedisCacheConnectionError {
  if (error instanceof RedisCacheConnectionError) return error;
  return new RedisCacheConnectionError(`Redis cache read failed: ${describeError(error)}`, { cause: error });
}

import { LRUCache } from 'lru-cache';
import type { ResolvedL1Options } from '../options/resolved-redis-cache-options.interface.js';
import type { CacheEntry } from '../serializers/cache-entry.codec.js';
import type { InvalidationListener } from '../store/cache.store.js';
import { L1ReadFence } from './l1-read.fence.js';
import { isShareable, type L1Events, type L1Reader, type L1Stats } from './l1.types.js';

/** One L1 entry: the stored bytes (a fresh copy is decoded per hit) or, with `shareValues` or an {@link L1_SHAREABLE} value, the decoded entry. */
interface Held {
  readonly raw: Buffer | string;
  readonly shared: CacheEntry | undefined;
  /** Who decoded {@link shared}: only the same reader may be handed it (see {@link L1Reader}). */
  readonly reader: L1Reader;
  readonly freshUntil: number;
  /** The call's tag keys, which a hit must name again. */
  readonly tagKeys: readonly string[] | undefined;
  /** Every tag key whose invalidation drops the entry: the call's and the entry's own. */
  readonly watched: readonly string[] | undefined;
}

/**
 * The in-process L1: entries read from Redis, held in an LRU bounded by count and bytes, never past
 * their freshness, and dropped as soon as Redis reports their key (or one of their tag keys)
 * changed. Coherence comes from Redis' client tracking on the cache connection: every key that
 * connection read is reported once when anyone changes, deletes, expires or evicts it.
 *
 * Two races are closed. A push can arrive while a read of the same key is in flight (its reply
 * already on the wire, the push right behind it): {@link L1ReadFence} refuses such fills. And pushes
 * can be lost on a broken connection: on any break the L1 is flushed and serves nothing until
 * tracking is confirmed on the new connection.
 */
export class L1Cache implements InvalidationListener {
  readonly stats: L1Stats = { l1Hits: 0, l1Evictions: 0, l1Invalidations: 0, l1Flushes: 0 };
  private readonly entries: LRUCache<string, Held>;
  /** Keys of L1 entries by tag key, so that a tag's invalidation drops them. */
  private readonly byTag = new Map<string, Set<string>>();
  private readonly fence = new L1ReadFence();
  private serving = false;

  constructor(
    private readonly options: ResolvedL1Options,
    private readonly events?: L1Events,
  ) {
    this.entries = new LRUCache<string, Held>({
      max: options.maxEntries,
      maxSize: options.maxBytes,
      sizeCalculation: (held, key) =>
        (typeof held.raw === 'string' ? held.raw.length * 2 : held.raw.length) + key.length * 2 + 64,
      ttlAutopurge: false,
      dispose: (held, key, reason) => {
        if (reason === 'evict') {
          this.stats.l1Evictions++;
          this.events?.l1('l1-eviction');
        }
        if (held.watched) for (const tag of held.watched) this.byTag.get(tag)?.delete(key);
      },
    });
  }

  /** Entries held now. */
  get size(): number {
    return this.entries.size;
  }

  /** Whether the L1 may be read and filled (tracking confirmed on a live connection). */
  get isServing(): boolean {
    return this.serving;
  }

  /**
   * The entry of `key` if held, still fresh at `now`, and recorded under the same tags as this
   * call's: `decode`d afresh from the held bytes (or the shared entry with `shareValues`).
   */
  get(
    key: string,
    now: number,
    tagKeys: readonly string[] | undefined,
    reader: L1Reader,
    decode: (raw: Buffer | string) => CacheEntry | undefined,
  ): CacheEntry | undefined {
    if (!this.serving) return undefined;
    const held = this.entries.get(key);
    if (!held) return undefined;
    if (now >= held.freshUntil || !sameTags(held.tagKeys, tagKeys)) {
      this.entries.delete(key);
      return undefined;
    }
    if (held.shared && held.reader.codec === reader.codec && held.reader.accept === reader.accept) {
      this.stats.l1Hits++;
      return held.shared;
    }
    const entry = decode(held.raw);
    if (entry) this.stats.l1Hits++;
    return entry;
  }

  /** Call before reading `key` from Redis; pass the result to {@link fill}, then call {@link endRead}. */
  beginRead(key: string): number {
    return this.fence.begin(key);
  }

  /** Ends a read started with {@link beginRead}. */
  endRead(key: string): void {
    this.fence.end(key);
  }

  /** Holds what a read of `key` found, unless it was invalidated (or everything was) since `readSeq`. */
  fill(
    key: string,
    readSeq: number,
    raw: Buffer | string,
    entry: CacheEntry,
    tagKeys: readonly string[] | undefined,
    reader: L1Reader,
    now: number,
  ): void {
    if (!this.serving) return;
    // An untagged call may read a tagged entry (the Redis read checked its versions): the entry's
    // own tags must drop it too, or an invalidation would leave it served from here.
    const watched = watchedTags(tagKeys, entry);
    if (!this.fence.mayFill(key, readSeq, watched)) return;
    const ttl = Math.min(entry.freshUntil - now, this.options.ttlMs || Infinity);
    if (ttl <= 0) return;
    const held: Held = {
      raw,
      shared: this.options.shareValues || isShareable(entry.value) ? entry : undefined,
      reader,
      freshUntil: now + ttl,
      tagKeys,
      watched,
    };
    this.entries.set(key, held, { ttl: Math.ceil(ttl) });
    if (watched) {
      for (const tag of watched) {
        let keys = this.byTag.get(tag);
        if (!keys) this.byTag.set(tag, (keys = new Set()));
        keys.add(key);
      }
    }
  }

  /** Redis (or this process) changed `key`: drop it, and every entry carrying it as a tag. `null`: everything. */
  invalidate(key: string | null): void {
    if (key === null) return this.flush();
    this.fence.changed(key);
    if (this.entries.delete(key)) this.dropped();
    const tagged = this.byTag.get(key);
    if (tagged) {
      this.byTag.delete(key);
      for (const entryKey of tagged) if (this.entries.delete(entryKey)) this.dropped();
    }
  }

  /** Drops every entry whose key starts with `keyPrefix` (a `clear()` of this process). */
  invalidatePrefix(keyPrefix: string): void {
    for (const key of [...this.entries.keys()]) if (key.startsWith(keyPrefix)) this.invalidate(key);
  }

  /** Tracking is live again (`true`) or may have lost pushes (`false`): both flush. */
  live(live: boolean): void {
    this.flush();
    this.serving = live;
  }

  private dropped(): void {
    this.stats.l1Invalidations++;
    this.events?.l1('l1-invalidation');
  }

  private flush(): void {
    this.fence.changedAll();
    if (this.entries.size > 0) {
      this.stats.l1Flushes++;
      this.events?.l1('l1-flush');
    }
    this.entries.clear();
    this.byTag.clear();
  }
}

/** The call's tag keys together with the entry's own, or `undefined` when neither has any. */
function watchedTags(call: readonly string[] | undefined, entry: CacheEntry): readonly string[] | undefined {
  if (!entry.tags || entry.tags.length === 0) return call;
  const keys = new Set(call);
  for (const [tag] of entry.tags) keys.add(tag);
  return [...keys];
}

function sameTags(held: readonly string[] | undefined, call: readonly string[] | undefined): boolean {
  if (!held || !call) return held === call;
  if (held.length !== call.length) return false;
  for (let i = 0; i < held.length; i++) if (held[i] !== call[i]) return false;
  return true;
}

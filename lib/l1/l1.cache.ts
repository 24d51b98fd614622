import { LRUCache } from 'lru-cache';
import type { ResolvedL1Options } from '../options/resolved-redis-cache-options.interface.js';
import type { CacheEntry } from '../serializers/cache-entry.codec.js';
import type { InvalidationListener } from '../store/cache.store.js';

/** Counters of the L1, part of `stats()`. */
export interface L1Stats {
  /** Hits answered from this process, without a Redis command. */
  l1Hits: number;
  /** Entries dropped to keep the L1 within its bounds. */
  l1Evictions: number;
  /** Entries dropped because Redis said their key changed (or this process wrote it). */
  l1Invalidations: number;
  /** Times the whole L1 was dropped: a disconnect, a reconnect, a FLUSHDB. */
  l1Flushes: number;
}

/**
 * Marks a decoded value that the L1 may hold decoded and hand as it is to every hit, whatever
 * `shareValues` says: a frozen value no caller is ever handed to change (a route's validated
 * response entry). Every other value is decoded afresh per hit unless `shareValues`.
 */
export const L1_SHAREABLE: unique symbol = Symbol('nestjs-readthrough.l1-shareable');

/** Invalidated keys remembered while reads are in flight, at most. */
const MAX_DIRTY_KEYS = 10_000;

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
 * What decoded and validated an entry: the codec and the caller's shape check (a route's entry
 * parser, `undefined` for methods). Two readers may share one stored key (a key function or a
 * `wrap()` key can name a route's entry); a decoded entry is handed only to the reader that
 * decoded it, and any other decodes and checks the held bytes itself, as it would from Redis.
 */
export interface L1Reader {
  readonly codec: object;
  readonly accept: ((value: unknown) => unknown) | undefined;
}

/**
 * The in-process L1: entries read from Redis, held in an LRU bounded by count and bytes, never past
 * their freshness, and dropped as soon as Redis reports their key (or one of their tag keys)
 * changed. Coherence comes from Redis' client tracking on the cache connection: every key that
 * connection read is reported once when anyone changes, deletes, expires or evicts it.
 *
 * Two races are closed here. A push can arrive while a read of the same key is in flight (its
 * reply already on the wire, the push right behind it): each read takes a sequence number first,
 * and a fill is refused if the key, or everything, was invalidated after that number. And pushes
 * can be lost on a broken connection: on any break the L1 is flushed and serves nothing until
 * tracking is confirmed on the new connection.
 */
export class L1Cache implements InvalidationListener {
  readonly stats: L1Stats = { l1Hits: 0, l1Evictions: 0, l1Invalidations: 0, l1Flushes: 0 };
  private readonly entries: LRUCache<string, Held>;
  /** Keys of L1 entries by tag key, so that a tag's invalidation drops them. */
  private readonly byTag = new Map<string, Set<string>>();
  private seq = 0;
  private flushedAt = 0;
  /**
   * Reads in flight per key, and the sequence of the last invalidation of any key (an entry's, or
   * a tag key an entry in flight may carry) while reads were in flight.
   */
  private readonly reading = new Map<string, number>();
  private readonly dirty = new Map<string, number>();
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
    this.reading.set(key, (this.reading.get(key) ?? 0) + 1);
    return this.seq;
  }

  /** Ends a read started with {@link beginRead}. */
  endRead(key: string): void {
    const left = (this.reading.get(key) ?? 1) - 1;
    if (left > 0) this.reading.set(key, left);
    else {
      this.reading.delete(key);
      this.dirty.delete(key);
      if (this.reading.size === 0) this.dirty.clear();
    }
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
    if (!this.serving || readSeq < this.flushedAt || this.changedSince(key, readSeq)) return;
    // An untagged call may read a tagged entry (the Redis read checked its versions): the entry's
    // own tags must drop it too, or an invalidation would leave it served from here.
    const watched = watchedTags(tagKeys, entry);
    if (watched) for (const tag of watched) if (this.changedSince(tag, readSeq)) return;
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
    this.seq++;
    // Remembered for every read in flight: it may be of an entry carrying this key as a tag.
    if (this.reading.size > 0) {
      // Bounded under reads that never stop: past the bound, refuse every fill begun until now.
      if (this.dirty.size >= MAX_DIRTY_KEYS) {
        this.flushedAt = this.seq;
        this.dirty.clear();
      } else this.dirty.set(key, this.seq);
    }
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

  private changedSince(key: string, readSeq: number): boolean {
    return (this.dirty.get(key) ?? -1) >= readSeq;
  }

  private dropped(): void {
    this.stats.l1Invalidations++;
    this.events?.l1('l1-invalidation');
  }

  private flush(): void {
    this.seq++;
    this.flushedAt = this.seq;
    if (this.entries.size > 0) {
      this.stats.l1Flushes++;
      this.events?.l1('l1-flush');
    }
    this.entries.clear();
    this.byTag.clear();
  }
}

/** Where the L1 reports what it drops (the events hub). */
export interface L1Events {
  l1(type: 'l1-eviction' | 'l1-invalidation' | 'l1-flush'): void;
}

function isShareable(value: unknown): boolean {
  return typeof value === 'object' && value !== null && (value as { [L1_SHAREABLE]?: unknown })[L1_SHAREABLE] === true;
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

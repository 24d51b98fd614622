import type { CacheEntry, CacheEntryCodec } from '../serializers/cache-entry.codec.js';
import type { CacheStore } from '../store/cache.store.js';
import type { ReadThroughDiagnostics } from './read-through.diagnostics.js';
import type { ReadThroughPolicy } from './read-through.policy.js';
import type { TagLedger } from './tag-ledger.js';
import { decodeStored, fetchStored } from './stored-entry.decode.js';

/**
 * Reads entries off the hit path: `RedisCacheService.get()` and the probe (`read`), and a
 * stampede-lock waiter looking for the holder's value (`peek`). Neither counts hits or misses
 * nor fills the L1; both check the entry's tags, so an invalidated value is never returned.
 */
export class EntryInspector {
  constructor(
    private readonly store: CacheStore,
    private readonly ledger: TagLedger,
    private readonly diagnostics: ReadThroughDiagnostics,
  ) {}

  /** Reads and validates `key` without loading or counting; rejects on a store failure. */
  async read(key: string, codec: CacheEntryCodec, label: string): Promise<CacheEntry | undefined> {
    const raw = await this.fetchBytesIfNeeded(key, codec);
    const entry = raw === null ? undefined : decodeStored(this.diagnostics, key, raw, codec, label);
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

  /**
   * {@link fetchStored}, then, when a text read met a compressed entry (written by a codec that
   * compresses; UTF-8 decoding mangled its payload), the key again as bytes. Only readers
   * without compression of their own pay this second round trip; see README "Compression".
   */
  private async fetchBytesIfNeeded(key: string, codec: CacheEntryCodec): Promise<Buffer | string | null> {
    const raw = await fetchStored(this.store, key, codec);
    return typeof raw === 'string' && codec.needsBytes(raw) ? this.store.get(key) : raw;
  }
}

import type { CacheEntry, CacheEntryCodec } from '../serializers/cache-entry.codec.js';
import type { CacheStore } from '../store/cache.store.js';
import type { ReadThroughDiagnostics } from './read-through.diagnostics.js';

/** Reads an entry in the form its codec decodes fastest: a string for text serializers. */
export function fetchStored(store: CacheStore, key: string, codec: CacheEntryCodec): Promise<Buffer | string | null> {
  return codec.textual ? store.getText(key) : store.get(key);
}

/**
 * Decodes stored bytes; a refused entry is logged, counted and read as absent. With `accept`
 * (the caller's own shape check, e.g. an HTTP entry's parser) a value of another shape is
 * refused too, so one kind of reader never answers with another kind's entry.
 */
export function decodeStored(
  diagnostics: ReadThroughDiagnostics,
  key: string,
  raw: Buffer | string,
  codec: CacheEntryCodec,
  label: string,
  accept?: (value: unknown) => unknown,
): CacheEntry | undefined {
  const decoded = codec.decode(raw);
  if (!decoded.ok) {
    // A write marker: another load is producing the value, nothing was refused.
    if (decoded.reason !== 'pending') diagnostics.rejected(key, label, decoded);
    return undefined;
  }
  if (!accept) return decoded.entry;
  const value = accept(decoded.entry.value);
  if (value !== undefined) return { ...decoded.entry, value };
  diagnostics.rejected(key, label, { ok: false, reason: 'corrupt', cause: new TypeError('not an entry of this kind') });
  return undefined;
}

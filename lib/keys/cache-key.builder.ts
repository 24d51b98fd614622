import { createHash } from 'node:crypto';

/** Longest key (in UTF-8 bytes) stored as is; longer keys end in a digest. */
export const MAX_PLAIN_KEY_BYTES = 512;
const DIGEST_HEX_LENGTH = 64;
// Hashed keys are always MAX_PLAIN_KEY_BYTES + 1 bytes long, so no plain key can equal one.
const HEAD_BYTES = MAX_PLAIN_KEY_BYTES - DIGEST_HEX_LENGTH;

/**
 * Joins the parts of a stored key, `<prefix>:<namespace>:<key>`, and bounds its length: a key
 * over 512 bytes keeps a readable head and ends in `#<sha256 of the whole key>`.
 */
export class CacheKeyBuilder {
  constructor(private readonly prefix: string) {}

  /** The full Redis key for `key` in `namespace`. */
  build(namespace: string, key: string): string {
    const full = `${this.prefix}:${namespace}:${key}`;
    // Cheap upper bound first: a JS string of n UTF-16 units is at most 3n UTF-8 bytes.
    if (full.length * 3 <= MAX_PLAIN_KEY_BYTES || Buffer.byteLength(full) <= MAX_PLAIN_KEY_BYTES) return full;
    const digest = createHash('sha256').update(full).digest('hex');
    return `${truncateUtf8(full, HEAD_BYTES)}#${digest}`;
  }

  /** The prefix every key of `namespace` starts with (all namespaces when omitted). */
  namespacePrefix(namespace?: string): string {
    return namespace === undefined ? `${this.prefix}:` : `${this.prefix}:${namespace}:`;
  }
}

/**
 * The longest head of `text` that fits in `maxBytes` UTF-8 bytes, padded with `_` to exactly
 * `maxBytes`, so every hashed key has the same byte length.
 */
function truncateUtf8(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text, 'utf8');
  let end = maxBytes;
  // Step back to a character boundary (continuation bytes are 0b10xxxxxx).
  while (end > 0 && (bytes[end] & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8') + '_'.repeat(maxBytes - end);
}

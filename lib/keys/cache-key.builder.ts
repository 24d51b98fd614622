import { createHash } from 'node:crypto';

/** Longest key (in UTF-8 bytes) stored as is; longer keys end in a digest. */
export const MAX_PLAIN_KEY_BYTES = 512;
const DIGEST_HEX_LENGTH = 64;
// Hashed keys are always MAX_PLAIN_KEY_BYTES + 1 bytes long, so no plain key can equal one.
const HEAD_BYTES = MAX_PLAIN_KEY_BYTES - DIGEST_HEX_LENGTH;

/** `String.prototype.isWellFormed` (Node 20+, ES2024; the project's lib is ES2023). */
type WellFormedCheck = string & { isWellFormed(): boolean };

/**
 * Joins the parts of a stored key, `<prefix>:<namespace>:<key>`, and bounds its length: a key
 * over 512 bytes keeps a readable head and ends in `#<sha256 of the whole key>`.
 *
 * A key holding a lone UTF-16 surrogate (a key function's or `wrap()` key, a literal tag name)
 * takes the digested form too, with the digest over its UTF-16 code units. Sent as is, node-redis
 * would write it as UTF-8, where every lone surrogate becomes U+FFFD: two different keys would
 * share one entry, and the L1 would never match Redis' invalidation push, which names the U+FFFD
 * form. (Key templates escape lone surrogates themselves, so their keys never get here.)
 */
export class CacheKeyBuilder {
  constructor(private readonly prefix: string) {}

  /** The full Redis key for `key` in `namespace`. */
  build(namespace: string, key: string): string {
    const full = `${this.prefix}:${namespace}:${key}`;
    // isWellFormed is one flag test on a one-byte string (nearly every key).
    const wellFormed = (full as WellFormedCheck).isWellFormed();
    // Cheap upper bound first: a JS string of n UTF-16 units is at most 3n UTF-8 bytes.
    if (wellFormed && (full.length * 3 <= MAX_PLAIN_KEY_BYTES || Buffer.byteLength(full) <= MAX_PLAIN_KEY_BYTES))
      return full;
    const digest = createHash('sha256')
      .update(full, wellFormed ? 'utf8' : 'utf16le')
      .digest('hex');
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
  // A short text (a key digested for a lone surrogate) is padded from its end.
  let end = Math.min(maxBytes, bytes.length);
  // Step back to a character boundary (continuation bytes are 0b10xxxxxx).
  while (end > 0 && (bytes[end] & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8') + '_'.repeat(maxBytes - end);
}

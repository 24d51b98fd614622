import { RedisCacheSerializationError } from '../errors/redis-cache-serialization.error.js';
import type { CacheSerializer } from './cache.serializer.js';
import {
  FLAG_COMPRESSED,
  FLAG_TAGGED,
  compressPayload,
  compressionFlag,
  inflatePayload,
  isKnownFlags,
  type ResolvedCompressionOptions,
} from './payload.compression.js';
import { asciiJson, readTagLine, type EntryTags } from './entry-tag.line.js';
import {
  FORMAT_VERSION,
  MAGIC,
  MAX_HEADER_CHARS,
  MAX_LOAD_MS,
  WRITE_MARKER,
  headerNumbers,
  readHeaderNumbers,
} from './entry-header.js';

export type { EntryTags } from './entry-tag.line.js';
export { WRITE_MARKER } from './entry-header.js';

/** Metadata of a decoded entry. */
export interface CacheEntry {
  /** The decoded value. */
  readonly value: unknown;
  /** When the entry was written (ms since epoch). */
  readonly createdAt: number;
  /** Until when the entry counts as fresh (ms since epoch). */
  readonly freshUntil: number;
  /** How long producing the value took (ms), used by early refresh. */
  readonly loadMs: number;
  /** The entry's tags with the versions they had before it was produced; absent when untagged. */
  readonly tags?: EntryTags;
}

/** Why stored bytes were refused; logged and counted, never thrown at a caller. */
export type CacheEntryRejection = 'foreign' | 'version' | 'serializer' | 'corrupt' | 'oversize';

/** Why stored bytes hold no entry without being a rejection: a write marker (a value is being produced). */
export type CacheEntryAbsence = 'pending';

/** Result of {@link CacheEntryCodec.decode}: an entry, or the reason the bytes were refused. */
export type DecodeResult =
  | { readonly ok: true; readonly entry: CacheEntry }
  | { readonly ok: false; readonly reason: CacheEntryRejection; readonly cause?: unknown }
  | { readonly ok: false; readonly reason: CacheEntryAbsence; readonly cause?: undefined };

/**
 * Wraps serializer output in a small versioned header (its layout: `entry-header.ts`) and
 * validates it on the way back.
 * Redis contents are untrusted input: anything that is not exactly what this codec wrote,
 * with the same serializer, decodes to a rejection (a miss), never to a wrong value.
 */
export class CacheEntryCodec {
  /**
   * Whether entries are read as UTF-8 strings: the serializer has `deserializeText` and this
   * codec never compresses (its compressed entries could not be read as text).
   */
  readonly textual: boolean;
  /** The plain, untagged header prefix: the hit path's one `startsWith`. */
  private readonly head: string;
  /** Header prefixes by flags (index = flags). */
  private readonly heads: readonly string[];
  /** `\x1eRT3:`, then the flags digit. */
  private readonly versioned = `${MAGIC}${FORMAT_VERSION}:`;
  private readonly idPart: string;
  /** Where {@link readHeaderNumbers} leaves a header's three numbers (decode is synchronous: one per codec suffices). */
  private readonly numbers: number[] = [0, 0, 0];

  /**
   * @param compression compress payloads of at least `threshold` bytes when writing; `false`
   * writes plain entries. Decoding accepts both forms either way.
   * @example
   * const codec = new CacheEntryCodec(new JsonSerializer(), 16 * 1024 * 1024, { algorithm: 'gzip', threshold: 1024, level: 6 });
   */
  constructor(
    readonly serializer: CacheSerializer,
    private readonly maxValueBytes: number,
    readonly compression: ResolvedCompressionOptions | false = false,
  ) {
    this.textual = typeof serializer.deserializeText === 'function' && compression === false;
    this.idPart = `:${serializer.id}:`;
    this.heads = [0, 1, 2, 3, 4, 5].map((flags) => `${this.versioned}${flags}${this.idPart}`);
    this.head = this.heads[0]!;
  }

  /**
   * Serializes `value` into an entry: a string when the payload is text, else a Buffer. Throws
   * {@link RedisCacheSerializationError} when the serializer fails or the entry would exceed
   * `maxValueBytes`.
   */
  encode(value: unknown, createdAt: number, freshUntil: number, loadMs = 0, tags?: EntryTags): Buffer | string {
    let payload: Buffer | string;
    try {
      payload = this.serializer.serialize(value);
    } catch (cause) {
      // The reason (never the value) goes into the message: it is what the warning shows.
      const reason = cause instanceof Error ? `: ${cause.message}` : '';
      throw new RedisCacheSerializationError(`serializer "${this.serializer.id}" could not encode the value${reason}`, {
        cause,
      });
    }
    const tagged = tags !== undefined && tags.length > 0;
    const numbers = headerNumbers(createdAt, freshUntil, loadMs);
    const tagLine = tagged ? `${asciiJson(tags)}\n` : '';
    const size = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
    // Uncompressed size counts: what is stored must also decode within maxValueBytes.
    let total = this.head.length + numbers.length + tagLine.length + size;
    if (total > this.maxValueBytes) {
      throw new RedisCacheSerializationError(
        `entry of ${total} bytes exceeds maxValueBytes (${this.maxValueBytes}); not stored`,
      );
    }
    let flags = tagged ? FLAG_TAGGED : 0;
    if (this.compression && size >= this.compression.threshold) {
      const packed = this.compress(payload);
      // Incompressible payloads (already compressed media, random ids) stay plain: no gain, no inflate on hits.
      if (packed.length < size) {
        payload = packed;
        flags |= compressionFlag(this.compression.algorithm);
        total += packed.length - size;
      }
    }
    const header = `${this.heads[flags]}${numbers}${tagLine}`;
    return typeof payload === 'string'
      ? header + payload
      : Buffer.concat([Buffer.from(header, 'latin1'), payload], total);
  }

  /**
   * Whether a stored entry read as text must be read again as bytes: its header says the
   * payload is compressed. Cheap: the header alone is looked at, and plain entries of this
   * codec answer with one `startsWith`.
   */
  needsBytes(raw: string): boolean {
    if (raw.startsWith(this.head) || !raw.startsWith(this.versioned)) return false;
    const flags = raw.charCodeAt(this.versioned.length) - 48;
    return isKnownFlags(flags) && (flags & FLAG_COMPRESSED) !== 0;
  }

  private compress(payload: Buffer | string): Buffer {
    try {
      return compressPayload(payload, this.compression as ResolvedCompressionOptions);
    } catch (cause) {
      throw new RedisCacheSerializationError(`compression failed: ${(cause as Error).message}`, { cause });
    }
  }

  /** Validates and decodes a stored entry, read as bytes or (for text serializers) as a string. Never throws. */
  decode(raw: Buffer | string): DecodeResult {
    // A string's length counts UTF-16 units: a lower bound of its UTF-8 bytes, and a third of
    // the upper bound, so the exact count is only needed near the limit.
    if (raw.length > this.maxValueBytes) return { ok: false, reason: 'oversize' };
    if (typeof raw === 'string' && raw.length * 3 > this.maxValueBytes && Buffer.byteLength(raw) > this.maxValueBytes) {
      return { ok: false, reason: 'oversize' };
    }
    const text = typeof raw === 'string';
    // The header is ASCII, so character and byte offsets agree in both forms; a string is parsed in place.
    const head = text ? raw : raw.toString('latin1', 0, MAX_HEADER_CHARS);
    // The plain untagged entry (the common hit) is one startsWith; anything else parses the flags.
    const flags = head.startsWith(this.head) ? 0 : this.flagsOf(head);
    if (typeof flags !== 'number') return { ok: false, reason: flags };
    const tagged = (flags & FLAG_TAGGED) !== 0;
    const numbers = this.numbers;
    let end = readHeaderNumbers(head, this.head.length, numbers);
    if (end < 0) return { ok: false, reason: 'corrupt' };
    const createdAt = numbers[0]!;
    const freshUntil = numbers[1]!;
    const loadMs = numbers[2]!;
    let tags: EntryTags | undefined;
    if (tagged) {
      const line = readTagLine(raw, end + 1);
      if (!line) return { ok: false, reason: 'corrupt' };
      tags = line.tags;
      end = line.end;
    }
    if (!Number.isSafeInteger(createdAt) || !Number.isSafeInteger(freshUntil) || loadMs > MAX_LOAD_MS) {
      return { ok: false, reason: 'corrupt' };
    }
    let body: Buffer | undefined;
    if (flags & FLAG_COMPRESSED) {
      // A compressed payload read as text was already mangled by the UTF-8 decode; the reader asks needsBytes() first.
      if (text)
        return { ok: false, reason: 'corrupt', cause: new TypeError('a compressed entry must be read as bytes') };
      const inflated = inflatePayload(raw.subarray(end + 1), flags, this.maxValueBytes - (end + 1));
      if (!inflated.ok) return { ok: false, reason: inflated.reason, cause: inflated.cause };
      body = inflated.bytes;
    }
    let value: unknown;
    try {
      value = text
        ? this.serializer.deserializeText!(raw.slice(end + 1))
        : this.serializer.deserialize(body ?? raw.subarray(end + 1));
    } catch (cause) {
      return { ok: false, reason: 'corrupt', cause };
    }
    // undefined is never stored, so decoding to it means the payload was not ours.
    if (value === undefined) return { ok: false, reason: 'corrupt' };
    return {
      ok: true,
      entry: tags ? { value, createdAt, freshUntil, loadMs, tags } : { value, createdAt, freshUntil, loadMs },
    };
  }

  /** The flags of a header other than the plain untagged one, or why it is refused. */
  private flagsOf(header: string): number | CacheEntryRejection | CacheEntryAbsence {
    if (header.startsWith(WRITE_MARKER)) return 'pending';
    if (!header.startsWith(MAGIC)) return 'foreign';
    if (!header.startsWith(this.versioned)) return 'version';
    // One decimal digit: every known combination is 0–5. Unknown bits (a newer writer's) are refused.
    const flags = header.charCodeAt(this.versioned.length) - 48;
    if (!isKnownFlags(flags) || header.charAt(this.versioned.length + 1) !== ':') return 'corrupt';
    return header.startsWith(this.idPart, this.versioned.length + 1) ? flags : 'serializer';
  }
}

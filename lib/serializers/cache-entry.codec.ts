import { RedisCacheSerializationError } from '../errors/redis-cache-serialization.error.js';
import type { CacheSerializer } from './cache.serializer.js';

/**
 * Stored entry layout: an ASCII header line, then the serializer's payload.
 *
 * ```
 * \x1eRT<version>:<flags>:<serializer id>:<created-at>:<fresh-until>:<load-ms>\n<payload>
 * ```
 *
 * - `\x1e` (record separator) + `RT`: the magic; JSON, text and msgpack values written by
 *   others do not start with a control character followed by `RT`.
 * - version `3`; flags `0` (reserved); serializer id `[A-Za-z0-9._+-]{1,32}`.
 * - created-at and fresh-until: ms since epoch, decimal integers; load-ms: how long producing the
 *   value took, for early refresh.
 *
 * The header is ASCII on purpose: the same stored bytes read identically as a Buffer (binary
 * serializers) or as a UTF-8 string. Text serializers (`deserializeText`) are read as strings,
 * which saves a Buffer copy and a second UTF-8 decode on every hit.
 */
const MAGIC = '\x1eRT';
// Version 1 and 2 were binary layouts of the unreleased 0.1 line; their entries are refused.
const FORMAT_VERSION = '3';
/** Longest possible header: magic, version, flags, 32-char id, three 16-digit numbers, separators. */
const MAX_HEADER_CHARS = MAGIC.length + 1 + 2 + 33 + 3 * 17 + 1;
const MAX_LOAD_MS = 0xffffffff;
const HEADER_NUMBERS = /^(0|-?[1-9]\d{0,15}):(0|-?[1-9]\d{0,15}):(0|[1-9]\d{0,9})\n/;

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
}

/** Why stored bytes were refused; logged and counted, never thrown at a caller. */
export type CacheEntryRejection = 'foreign' | 'version' | 'serializer' | 'corrupt' | 'oversize';

/** Result of {@link CacheEntryCodec.decode}: an entry, or the reason the bytes were refused. */
export type DecodeResult =
  | { readonly ok: true; readonly entry: CacheEntry }
  | { readonly ok: false; readonly reason: CacheEntryRejection; readonly cause?: unknown };

/**
 * Wraps serializer output in a small versioned header and validates it on the way back.
 * Redis contents are untrusted input: anything that is not exactly what this codec wrote,
 * with the same serializer, decodes to a rejection (a miss), never to a wrong value.
 */
export class CacheEntryCodec {
  /** Whether entries are read as UTF-8 strings (the serializer has `deserializeText`). */
  readonly textual: boolean;
  private readonly head: string;

  constructor(
    readonly serializer: CacheSerializer,
    private readonly maxValueBytes: number,
  ) {
    this.textual = typeof serializer.deserializeText === 'function';
    this.head = `${MAGIC}${FORMAT_VERSION}:0:${serializer.id}:`;
  }

  /**
   * Serializes `value` into an entry: a string when the payload is text, else a Buffer. Throws
   * {@link RedisCacheSerializationError} when the serializer fails or the entry would exceed
   * `maxValueBytes`.
   */
  encode(value: unknown, createdAt: number, freshUntil: number, loadMs = 0): Buffer | string {
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
    const header = `${this.head}${wholeMs(createdAt)}:${wholeMs(freshUntil)}:${Math.min(Math.max(0, Math.round(loadMs) || 0), MAX_LOAD_MS)}\n`;
    const total = header.length + (typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length);
    if (total > this.maxValueBytes) {
      throw new RedisCacheSerializationError(
        `entry of ${total} bytes exceeds maxValueBytes (${this.maxValueBytes}); not stored`,
      );
    }
    return typeof payload === 'string'
      ? header + payload
      : Buffer.concat([Buffer.from(header, 'latin1'), payload], total);
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
    // The header is ASCII, so character and byte offsets agree in both forms.
    const head = text ? raw.slice(0, MAX_HEADER_CHARS) : raw.toString('latin1', 0, MAX_HEADER_CHARS);
    if (!head.startsWith(this.head)) return { ok: false, reason: this.whyRefused(head) };
    // Exactly what encode() writes: plain decimal integers, no signs, spaces, exponents or
    // leading zeros, so there is one byte form per header.
    const fields = HEADER_NUMBERS.exec(head.slice(this.head.length));
    if (!fields) return { ok: false, reason: 'corrupt' };
    const createdAt = Number(fields[1]);
    const freshUntil = Number(fields[2]);
    const loadMs = Number(fields[3]);
    const end = this.head.length + fields[0].length - 1;
    if (!Number.isSafeInteger(createdAt) || !Number.isSafeInteger(freshUntil) || loadMs > MAX_LOAD_MS) {
      return { ok: false, reason: 'corrupt' };
    }
    let value: unknown;
    try {
      value = text
        ? this.serializer.deserializeText!(raw.slice(end + 1))
        : this.serializer.deserialize(raw.subarray(end + 1));
    } catch (cause) {
      return { ok: false, reason: 'corrupt', cause };
    }
    // undefined is never stored, so decoding to it means the payload was not ours.
    if (value === undefined) return { ok: false, reason: 'corrupt' };
    return { ok: true, entry: { value, createdAt, freshUntil, loadMs } };
  }

  private whyRefused(header: string): CacheEntryRejection {
    if (!header.startsWith(MAGIC)) return 'foreign';
    if (header.charAt(MAGIC.length) !== FORMAT_VERSION) return 'version';
    return header.startsWith(`${MAGIC}${FORMAT_VERSION}:0:`) ? 'serializer' : 'corrupt';
  }
}

/** A timestamp as the header writes it: whole milliseconds, 0 for anything not finite. */
function wholeMs(value: number): number {
  const floored = Math.floor(value);
  return Number.isSafeInteger(floored) ? floored : 0;
}

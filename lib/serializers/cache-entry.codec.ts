import { RedisCacheSerializationError } from '../errors/redis-cache-serialization.error.js';
import type { CacheSerializer } from './cache.serializer.js';

/**
 * Stored entry layout (all integers big-endian):
 *
 * | bytes | field |
 * |---|---|
 * | 0–1 | magic `0xCA 0xC4` (never the first bytes of UTF-8 text, so plain strings are foreign) |
 * | 2 | format version (2) |
 * | 3 | flags (reserved, 0) |
 * | 4 | serializer id length N (1–32) |
 * | 5 … 5+N | serializer id, ASCII |
 * | +8 | created-at, ms since epoch (float64) |
 * | +8 | fresh-until, ms since epoch (float64) |
 * | +4 | load time of the value in ms (uint32), for early refresh |
 * | rest | payload from the serializer |
 */
const MAGIC_0 = 0xca;
const MAGIC_1 = 0xc4;
// Version 1 had no load-time field; its entries are refused (a miss), never misread.
const FORMAT_VERSION = 2;
const FIXED_HEADER_BYTES = 5;
const TIMESTAMPS_BYTES = 20;

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
  private readonly idBytes: Buffer;
  private readonly headerBytes: number;

  constructor(
    readonly serializer: CacheSerializer,
    private readonly maxValueBytes: number,
  ) {
    this.idBytes = Buffer.from(serializer.id, 'ascii');
    this.headerBytes = FIXED_HEADER_BYTES + this.idBytes.length + TIMESTAMPS_BYTES;
  }

  /**
   * Serializes `value` into an entry. Throws {@link RedisCacheSerializationError} when the
   * serializer fails or the entry would exceed `maxValueBytes`.
   */
  encode(value: unknown, createdAt: number, freshUntil: number, loadMs = 0): Buffer {
    let payload: Buffer | string;
    try {
      payload = this.serializer.serialize(value);
    } catch (cause) {
      throw new RedisCacheSerializationError(`serializer "${this.serializer.id}" could not encode the value`, { cause });
    }
    const payloadBytes = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
    const total = this.headerBytes + payloadBytes;
    if (total > this.maxValueBytes) {
      throw new RedisCacheSerializationError(
        `entry of ${total} bytes exceeds maxValueBytes (${this.maxValueBytes}); not stored`,
      );
    }
    const out = Buffer.allocUnsafe(total);
    out[0] = MAGIC_0;
    out[1] = MAGIC_1;
    out[2] = FORMAT_VERSION;
    out[3] = 0;
    out[4] = this.idBytes.length;
    this.idBytes.copy(out, FIXED_HEADER_BYTES);
    let offset = FIXED_HEADER_BYTES + this.idBytes.length;
    offset = out.writeDoubleBE(createdAt, offset);
    offset = out.writeDoubleBE(freshUntil, offset);
    offset = out.writeUInt32BE(Math.min(Math.max(0, Math.round(loadMs)), 0xffffffff), offset);
    if (typeof payload === 'string') out.write(payload, offset, 'utf8');
    else payload.copy(out, offset);
    return out;
  }

  /** Validates and decodes stored bytes. Never throws. */
  decode(raw: Buffer): DecodeResult {
    if (raw.length > this.maxValueBytes) return { ok: false, reason: 'oversize' };
    if (raw.length < this.headerBytes || raw[0] !== MAGIC_0 || raw[1] !== MAGIC_1) {
      return { ok: false, reason: 'foreign' };
    }
    if (raw[2] !== FORMAT_VERSION) return { ok: false, reason: 'version' };
    const idLength = raw[4];
    if (idLength !== this.idBytes.length || !this.idBytes.equals(raw.subarray(FIXED_HEADER_BYTES, FIXED_HEADER_BYTES + idLength))) {
      return { ok: false, reason: 'serializer' };
    }
    const timestampsAt = FIXED_HEADER_BYTES + idLength;
    const createdAt = raw.readDoubleBE(timestampsAt);
    const freshUntil = raw.readDoubleBE(timestampsAt + 8);
    const loadMs = raw.readUInt32BE(timestampsAt + 16);
    if (!Number.isFinite(createdAt) || !Number.isFinite(freshUntil)) return { ok: false, reason: 'corrupt' };
    let value: unknown;
    try {
      value = this.serializer.deserialize(raw.subarray(this.headerBytes));
    } catch (cause) {
      return { ok: false, reason: 'corrupt', cause };
    }
    // undefined is never stored, so decoding to it means the payload was not ours.
    if (value === undefined) return { ok: false, reason: 'corrupt' };
    return { ok: true, entry: { value, createdAt, freshUntil, loadMs } };
  }
}

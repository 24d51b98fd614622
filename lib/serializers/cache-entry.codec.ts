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
 * - version `3`; flags: `0`, or `1` when the entry carries tags; serializer id `[A-Za-z0-9._+-]{1,32}`.
 * - created-at and fresh-until: ms since epoch, decimal integers; load-ms: how long producing the
 *   value took, for early refresh.
 * - with flag `1`, a second ASCII line before the payload: a JSON array of `[tag key, version]`
 *   pairs, the versions the tags had before the value was produced (see `TagVersions`).
 *
 * A write marker (`\x1eRTW:<token>`, see `CacheStore.prepareWrite`) holds a key while its value
 * is being produced; it decodes as absent.
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
const TAGGED = '1';
/** Start of a write marker: a key whose value is being produced. */
export const WRITE_MARKER = `${MAGIC}W:`;
/** Bounds on the tag line of an entry, checked before it is parsed. */
const MAX_TAGS = 64;
const MAX_TAG_LINE_CHARS = 64 * 1024;

/** The tags of an entry: each tag's key and the version it had when the value was produced (`null`: absent). */
export type EntryTags = readonly (readonly [key: string, version: string | null])[];

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
 * Wraps serializer output in a small versioned header and validates it on the way back.
 * Redis contents are untrusted input: anything that is not exactly what this codec wrote,
 * with the same serializer, decodes to a rejection (a miss), never to a wrong value.
 */
export class CacheEntryCodec {
  /** Whether entries are read as UTF-8 strings (the serializer has `deserializeText`). */
  readonly textual: boolean;
  private readonly head: string;
  private readonly taggedHead: string;

  constructor(
    readonly serializer: CacheSerializer,
    private readonly maxValueBytes: number,
  ) {
    this.textual = typeof serializer.deserializeText === 'function';
    this.head = `${MAGIC}${FORMAT_VERSION}:0:${serializer.id}:`;
    this.taggedHead = `${MAGIC}${FORMAT_VERSION}:${TAGGED}:${serializer.id}:`;
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
    const numbers = `${wholeMs(createdAt)}:${wholeMs(freshUntil)}:${Math.min(Math.max(0, Math.round(loadMs) || 0), MAX_LOAD_MS)}\n`;
    const header = tagged ? `${this.taggedHead}${numbers}${asciiJson(tags)}\n` : `${this.head}${numbers}`;
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
    const tagged = !head.startsWith(this.head);
    if (tagged && !head.startsWith(this.taggedHead)) return { ok: false, reason: this.whyRefused(head) };
    // Exactly what encode() writes: plain decimal integers, no signs, spaces, exponents or
    // leading zeros, so there is one byte form per header.
    const fields = HEADER_NUMBERS.exec(head.slice(this.head.length));
    if (!fields) return { ok: false, reason: 'corrupt' };
    const createdAt = Number(fields[1]);
    const freshUntil = Number(fields[2]);
    const loadMs = Number(fields[3]);
    let end = this.head.length + fields[0].length - 1;
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
    return {
      ok: true,
      entry: tags ? { value, createdAt, freshUntil, loadMs, tags } : { value, createdAt, freshUntil, loadMs },
    };
  }

  private whyRefused(header: string): CacheEntryRejection | CacheEntryAbsence {
    if (header.startsWith(WRITE_MARKER)) return 'pending';
    if (!header.startsWith(MAGIC)) return 'foreign';
    if (header.charAt(MAGIC.length) !== FORMAT_VERSION) return 'version';
    const flags = header.slice(MAGIC.length + 1, MAGIC.length + 4);
    return flags === ':0:' || flags === `:${TAGGED}:` ? 'serializer' : 'corrupt';
  }
}

/** A timestamp as the header writes it: whole milliseconds, 0 for anything not finite. */
function wholeMs(value: number): number {
  const floored = Math.floor(value);
  return Number.isSafeInteger(floored) ? floored : 0;
}

/** JSON with every non-ASCII character escaped, so the line reads the same as bytes (latin1) and as text. */
function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** Reads and validates the tag line starting at `start`: `[[key, version | null], ...]` up to its newline. */
function readTagLine(raw: Buffer | string, start: number): { tags: EntryTags; end: number } | undefined {
  const newline = raw.indexOf('\n', start);
  if (newline === -1 || newline - start > MAX_TAG_LINE_CHARS) return undefined;
  const line = typeof raw === 'string' ? raw.slice(start, newline) : raw.toString('latin1', start, newline);
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    // Not JSON: the entry is refused as corrupt by the caller, which logs it.
    return undefined;
  }
  if (!Array.isArray(parsed) || parsed.length === 0 || parsed.length > MAX_TAGS) return undefined;
  const valid = parsed.every(
    (pair: unknown) =>
      Array.isArray(pair) &&
      pair.length === 2 &&
      typeof pair[0] === 'string' &&
      (typeof pair[1] === 'string' || pair[1] === null),
  );
  return valid ? { tags: parsed as EntryTags, end: newline } : undefined;
}

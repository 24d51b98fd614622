import { brotliCompressSync, brotliDecompressSync, constants, gunzipSync, gzipSync } from 'node:zlib';

/** Algorithms an entry's payload may be compressed with (node:zlib). */
export type CompressionAlgorithm = 'gzip' | 'brotli';

/** `compression` after validation and defaults: what a codec compresses with. */
export interface ResolvedCompressionOptions {
  readonly algorithm: CompressionAlgorithm;
  /** Serialized payloads of fewer bytes are stored as they are. */
  readonly threshold: number;
  /** zlib level (gzip 1–9) or brotli quality (0–11). */
  readonly level: number;
}

/** Envelope flag bits (decimal in the header): the entry carries a tag line. */
export const FLAG_TAGGED = 1;
/** Envelope flag bit: the payload is gzip. */
export const FLAG_GZIP = 2;
/** Envelope flag bit: the payload is brotli. */
export const FLAG_BROTLI = 4;
/** Any compression bit. */
export const FLAG_COMPRESSED = FLAG_GZIP | FLAG_BROTLI;

/** The flag bit an algorithm writes. */
export function compressionFlag(algorithm: CompressionAlgorithm): number {
  return algorithm === 'gzip' ? FLAG_GZIP : FLAG_BROTLI;
}

/** Whether `flags` is a combination this version writes: any of tagged, at most one algorithm. */
export function isKnownFlags(flags: number): boolean {
  return Number.isInteger(flags) && flags >= 0 && flags <= 5;
}

/**
 * Compresses a serialized payload. Synchronous on purpose: the entry is encoded on the miss path
 * right after the value was produced, and an async zlib call would only move the same CPU to the
 * thread pool (4 threads by default, shared with DNS and fs) while adding a hop; see README
 * "Compression" for what it costs per entry.
 *
 * @example
 * const packed = compressPayload('{"a":1}', { algorithm: 'gzip', threshold: 0, level: 6 });
 */
export function compressPayload(payload: Buffer | string, options: ResolvedCompressionOptions): Buffer {
  if (options.algorithm === 'gzip') return gzipSync(payload, { level: options.level });
  const size = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
  return brotliCompressSync(payload, {
    params: { [constants.BROTLI_PARAM_QUALITY]: options.level, [constants.BROTLI_PARAM_SIZE_HINT]: size },
  });
}

/** Outcome of {@link inflatePayload}: the bytes, or why they were refused. */
export type InflateResult =
  | { readonly ok: true; readonly bytes: Buffer }
  | { readonly ok: false; readonly reason: 'oversize' | 'corrupt'; readonly cause: unknown };

/**
 * Decompresses a stored payload, producing at most `maxBytes`. Stored bytes are untrusted: a
 * planted zip bomb stops at `maxBytes` (zlib's `maxOutputLength`, so memory stays bounded by
 * `maxValueBytes`) and is refused as oversize; truncated or corrupted input is refused as
 * corrupt. Never throws.
 *
 * @example
 * const result = inflatePayload(packed, FLAG_GZIP, 16 * 1024 * 1024);
 * if (result.ok) JSON.parse(result.bytes.toString('utf8'));
 */
export function inflatePayload(compressed: Buffer, flags: number, maxBytes: number): InflateResult {
  if (maxBytes < 1) return { ok: false, reason: 'oversize', cause: undefined };
  try {
    const bytes =
      flags & FLAG_GZIP
        ? gunzipSync(compressed, { maxOutputLength: maxBytes })
        : brotliDecompressSync(compressed, { maxOutputLength: maxBytes });
    return { ok: true, bytes };
  } catch (cause) {
    const tooLarge = (cause as { code?: unknown } | null)?.code === 'ERR_BUFFER_TOO_LARGE';
    return { ok: false, reason: tooLarge ? 'oversize' : 'corrupt', cause };
  }
}

/**
 * Stored entry layout: an ASCII header line, then the serializer's payload.
 *
 * ```
 * \x1eRT<version>:<flags>:<serializer id>:<created-at>:<fresh-until>:<load-ms>\n<payload>
 * ```
 *
 * - `\x1e` (record separator) + `RT`: the magic; JSON, text and msgpack values written by
 *   others do not start with a control character followed by `RT`.
 * - version `3`; flags: a decimal bitmask, `1` = tagged, `2` = gzip, `4` = brotli (`0`: plain,
 *   `3`: tagged + gzip); serializer id `[A-Za-z0-9._+-]{1,32}`.
 * - created-at and fresh-until: ms since epoch, decimal integers; load-ms: how long producing the
 *   value took, for early refresh.
 * - with flag `1`, a second ASCII line before the payload: a JSON array of `[tag key, version]`
 *   pairs, the versions the tags had before the value was produced (see `TagVersions`).
 * - with flag `2` or `4`, the payload is the serializer's output compressed (`compression`
 *   option). Every codec decodes both forms, whatever its own setting, so compressed and plain
 *   entries coexist under one key space and settings can change without a flush.
 *
 * A write marker (`\x1eRTW:<token>`, see `CacheStore.prepareWrite`) holds a key while its value
 * is being produced; it decodes as absent.
 *
 * The header is ASCII on purpose: the same stored bytes read identically as a Buffer (binary
 * serializers) or as a UTF-8 string. Text serializers (`deserializeText`) are read as strings,
 * which saves a Buffer copy and a second UTF-8 decode on every hit. A compressed payload is
 * binary and would be mangled by that UTF-8 decode, so a codec that compresses reads bytes, and a
 * text read that meets a compressed entry ({@link CacheEntryCodec.needsBytes}) is read again as
 * bytes by the reader; the ASCII header says so before any payload byte is looked at.
 */
export const MAGIC = '\x1eRT';
/** The header version this codec writes and reads. Version 1 and 2 were binary layouts of the unreleased 0.1 line; their entries are refused. */
export const FORMAT_VERSION = '3';
/** Longest possible header: magic, version, flags, 32-char id, three 16-digit numbers, separators. */
export const MAX_HEADER_CHARS = MAGIC.length + 1 + 2 + 33 + 3 * 17 + 1;
/** Largest load-ms a header holds (it fits ten digits). */
export const MAX_LOAD_MS = 0xffffffff;
/** Start of a write marker: a key whose value is being produced. */
export const WRITE_MARKER = `${MAGIC}W:`;

/**
 * The header's `<created-at>:<fresh-until>:<load-ms>\n`: whole milliseconds, load-ms clamped to
 * 0..{@link MAX_LOAD_MS}, exactly the form {@link readHeaderNumbers} accepts.
 */
export function headerNumbers(createdAt: number, freshUntil: number, loadMs: number): string {
  return `${wholeMs(createdAt)}:${wholeMs(freshUntil)}:${Math.min(Math.max(0, Math.round(loadMs) || 0), MAX_LOAD_MS)}\n`;
}

/** A timestamp as the header writes it: whole milliseconds, 0 for anything not finite. */
function wholeMs(value: number): number {
  const floored = Math.floor(value);
  return Number.isSafeInteger(floored) ? floored : 0;
}

/**
 * Reads the header's `<created-at>:<fresh-until>:<load-ms>\n` starting at `start` into `out`
 * and returns the index of the newline, or -1 unless the text is exactly what encode() writes:
 * plain decimal integers (the two times may be negative, up to 16 digits; load-ms up to 10), no
 * plus signs, spaces, exponents or leading zeros, so there is one byte form per header. A
 * hand-written scan: a regex match allocated an array and four strings on every hit.
 */
export function readHeaderNumbers(text: string, start: number, out: number[]): number {
  let at = start;
  for (let field = 0; field < 3; field++) {
    const last = field === 2;
    const negative = !last && text.charCodeAt(at) === 45; // '-'
    if (negative) at++;
    const first = at;
    let value = 0;
    let code = text.charCodeAt(at);
    while (code >= 48 && code <= 57) {
      value = value * 10 + (code - 48);
      code = text.charCodeAt(++at);
    }
    const digits = at - first;
    if (digits === 0 || digits > (last ? 10 : 16)) return -1;
    // "0" alone, never "-0", "00" or "07".
    if (text.charCodeAt(first) === 48 && (digits > 1 || negative)) return -1;
    if (code !== (last ? 10 : 58)) return -1; // '\n' after load-ms, ':' after the times
    out[field] = negative ? -value : value;
    at++;
  }
  return at - 1;
}

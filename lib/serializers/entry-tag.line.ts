// Helpers of the envelope's tag line (see CacheEntryCodec): an ASCII JSON line between header and payload.

/** Bounds on the tag line of an entry, checked before it is parsed. */
const MAX_TAGS = 64;
const MAX_TAG_LINE_CHARS = 64 * 1024;

/** The tags of an entry: each tag's key and the version it had when the value was produced (`null`: absent). */
export type EntryTags = readonly (readonly [key: string, version: string | null])[];

/** JSON with every non-ASCII character escaped, so the line reads the same as bytes (latin1) and as text. */
export function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** Reads and validates the tag line starting at `start`: `[[key, version | null], ...]` up to its newline. */
export function readTagLine(raw: Buffer | string, start: number): { tags: EntryTags; end: number } | undefined {
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

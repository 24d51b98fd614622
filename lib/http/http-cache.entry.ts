import { createHash } from 'node:crypto';
import { L1_SHAREABLE } from '../l1/l1.types.js';
import type { SentResponse } from './response.capture.js';

/**
 * What a cached route stores: the response exactly as it was sent, with readable field names.
 * The body is UTF-8 text when the bytes are valid UTF-8 (JSON, HTML, CSV), else base64.
 */
export interface HttpCacheEntry {
  readonly status: number;
  /** `[lower-case name, value]` pairs, repeated for a header sent more than once. */
  readonly headers: readonly (readonly [string, string])[];
  readonly body: string;
  readonly encoding: 'utf8' | 'base64';
}

/**
 * An entry checked by {@link parseHttpEntry}, with its body ready to send. Frozen (its header
 * pairs too) and marked {@link L1_SHAREABLE}: the L1 holds it as it is and hands the same object
 * to every hit, so a hit neither decodes nor validates the stored text again. Nothing can change
 * it on the way: a hit sends a copy of a `Buffer` body, never the held one.
 */
export interface ValidHttpEntry extends HttpCacheEntry {
  readonly bytes: string | Buffer;
  readonly etag: string | undefined;
}

/** Headers that belong to one transfer or one request, never to a stored representation. */
const NOT_STORED = new Set([
  'set-cookie',
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'date',
  'age',
  'proxy-connection',
  'upgrade',
  'trailer',
]);
/**
 * Headers that describe the stored representation: always stored with it, and on a hit always
 * sent from the store, never from what the pipeline set for its own (empty) stand-in body.
 */
export const REPRESENTATION_HEADERS: ReadonlySet<string> = new Set([
  'content-type',
  'content-encoding',
  'content-language',
  'content-disposition',
  'content-range',
  'location',
  'etag',
  'last-modified',
  'vary',
]);
const TOKEN = /^[!#$%&'*+.^_`|~0-9a-z-]+$/;
// Visible ASCII, space, tab and obs-text: never CR, LF or NUL, which would split a response.
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const ETAG = /^(W\/)?"[\x21\x23-\x7e\x80-\xff]*"$/;

/**
 * The entry for a sent response: its status, the headers the route produced, and the body.
 * Left out: headers of one transfer (`Content-Length`, `Date`...), `extraExcluded` (the cache
 * status header), and any header that already had its value before the route ran (`before`:
 * CORS for that origin, a guard's `X-Signed-In-As`), which belongs to that request and is set
 * again for every request by what set it; the representation headers are always kept.
 */
export function entryFromSent(
  sent: SentResponse,
  before: ReadonlyMap<string, string>,
  extraExcluded: ReadonlySet<string>,
): HttpCacheEntry {
  const headers: [string, string][] = [];
  for (const [name, value] of sent.headers) {
    if (NOT_STORED.has(name) || extraExcluded.has(name)) continue;
    const values = Array.isArray(value) ? value : [value];
    if (!REPRESENTATION_HEADERS.has(name) && before.get(name) === values.join(', ')) continue;
    for (const item of values) headers.push([name, item]);
  }
  const text = sent.body.toString('utf8');
  const utf8 = Buffer.byteLength(text) === sent.body.length && Buffer.from(text, 'utf8').equals(sent.body);
  return {
    status: sent.status,
    headers,
    body: utf8 ? text : sent.body.toString('base64'),
    encoding: utf8 ? 'utf8' : 'base64',
  };
}

/**
 * Validates a stored HTTP entry field by field (Redis contents are untrusted: a planted entry
 * must never produce a 500, a split header or an unasked 304). `statuses` are the route's
 * storable statuses. Returns `undefined` for anything that is not exactly what
 * {@link entryFromSent} writes.
 */
export function parseHttpEntry(value: unknown, statuses: ReadonlySet<number>): ValidHttpEntry | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { status, headers, body, encoding } = value as Record<string, unknown>;
  if (typeof status !== 'number' || !Number.isInteger(status) || !statuses.has(status)) return undefined;
  if (typeof body !== 'string' || (encoding !== 'utf8' && encoding !== 'base64')) return undefined;
  if (encoding === 'base64' && (body.length % 4 !== 0 || !BASE64.test(body))) return undefined;
  if (!Array.isArray(headers)) return undefined;
  let etag: string | undefined;
  for (const pair of headers as unknown[]) {
    if (!Array.isArray(pair) || pair.length !== 2) return undefined;
    const [name, field] = pair as unknown[];
    if (
      typeof name !== 'string' ||
      typeof field !== 'string' ||
      !TOKEN.test(name) ||
      !FIELD_VALUE.test(field) ||
      NOT_STORED.has(name)
    )
      return undefined;
    if (name === 'etag') {
      if (!ETAG.test(field)) return undefined;
      etag = field;
    }
  }
  for (const pair of headers as unknown[]) Object.freeze(pair);
  return Object.freeze({
    status,
    headers: Object.freeze(headers as [string, string][]),
    body,
    encoding,
    bytes: encoding === 'utf8' ? body : Buffer.from(body, 'base64'),
    etag,
    [L1_SHAREABLE]: true,
  });
}

/** Weak ETag of a body. */
export function weakEtag(body: string | Buffer): string {
  return `W/"${createHash('sha1').update(body).digest('base64url')}"`;
}

/** Whether an `If-None-Match` request header matches `etag` (weak comparison, RFC 9110 §13.1.2). */
export function matchesIfNoneMatch(header: string | string[] | undefined, etag: string): boolean {
  if (header === undefined) return false;
  const opaque = etag.replace(/^W\//, '');
  const candidates = (Array.isArray(header) ? header.join(',') : header).split(',');
  return candidates.some((candidate) => {
    const tag = candidate.trim();
    return tag === '*' || tag.replace(/^W\//, '') === opaque;
  });
}

/** ETags generated for entries without one, hashed once per entry (an entry held in the L1 serves many hits). */
const generatedEtags = new WeakMap<ValidHttpEntry, string>();

/** The entry's own ETag, or (with the `http.etag` option) a weak one over a 2xx body. */
export function entryEtag(entry: ValidHttpEntry, generate: boolean): string | undefined {
  if (entry.etag !== undefined || !generate || entry.status < 200 || entry.status >= 300) return entry.etag;
  let etag = generatedEtags.get(entry);
  if (etag === undefined) generatedEtags.set(entry, (etag = weakEtag(entry.bytes)));
  return etag;
}

import { createHash } from 'node:crypto';

/** What a cached route stores: the body the handler returned and how it was sent. */
export interface HttpCacheEntry {
  /** Body as the handler returned it (before the platform serialized it). */
  readonly b: unknown;
  /** Status code. */
  readonly s: number;
  /** Content-Type the handler set itself, if any (platform defaults are re-derived from the body). */
  readonly t?: string;
  /** Weak ETag of the body. */
  readonly e?: string;
}

/** Weak ETag of a response body, from the text the platform would send for it. */
export function weakEtag(body: unknown): string {
  const text = typeof body === 'string' ? body : typeof body === 'object' ? JSON.stringify(body) : String(body);
  return `W/"${createHash('sha1').update(text ?? '').digest('base64url')}"`;
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

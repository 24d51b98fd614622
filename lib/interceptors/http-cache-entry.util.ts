import { createHash } from 'node:crypto';

/**
 * What a cached route stores: the body and how it was sent. An object or array body is kept as
 * the JSON text the platform sends for it (`j`), so a hit sends that text as it is, with no parse
 * and no re-serialization; any other body (string, number, boolean, null) as the value (`b`).
 */
export interface HttpCacheEntry {
  /** A non-JSON body as the handler returned it. */
  readonly b?: unknown;
  /** The JSON text of an object or array body, exactly as `JSON.stringify` (Express, Fastify) writes it. */
  readonly j?: string;
  /** Status code. */
  readonly s: number;
  /** Content-Type the handler set itself, if any (platform defaults are re-derived from the body). */
  readonly t?: string;
  /** Weak ETag of the body. */
  readonly e?: string;
}

/** The content type Express and Fastify send with an object or array body. */
export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/** Whether the platform sends `body` as JSON (objects and arrays; not bytes, streams or files). */
export function isJsonBody(body: unknown): body is object {
  return typeof body === 'object' && body !== null;
}

/** Weak ETag of the text a response sends. */
export function weakEtag(text: string): string {
  return `W/"${createHash('sha1').update(text).digest('base64url')}"`;
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

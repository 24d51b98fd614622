import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { matchesIfNoneMatch, type ValidHttpEntry } from './http-cache.entry.js';

/** A stored response to send again. */
export interface ReplayedResponse {
  readonly status: number;
  /** Stored headers, lower-case names; they win over what the pipeline set for this request. */
  readonly headers: readonly (readonly [string, string])[];
  /** The body: UTF-8 text or bytes; omitted for a 304. */
  readonly body: string | Buffer | undefined;
}

/** Headers of this request's pipeline that describe its own (discarded) body, never the stored one. */
const BODY_HEADERS = ['content-length', 'content-type', 'transfer-encoding', 'content-encoding'];

/**
 * Makes `res` send `stored` whatever the rest of the pipeline sends. On a hit the interceptor
 * hands the pipeline no value; the interceptors outside it and the platform's serializer run on
 * that as usual, and at the last stop (`writeHead` / `write` / `end` of the Node response) their
 * status and body are replaced by the stored ones: what the miss sent after every interceptor
 * and serializer, so nothing shapes it twice. Headers set before the route ran on this request
 * (`keep`: CORS for this origin, `@Header()`) keep this request's values; otherwise the stored
 * ones win, and the pipeline's headers about its own empty body are dropped.
 */
export function replayStored(res: ServerResponse, stored: ReplayedResponse, keep: ReadonlyMap<string, string>): void {
  const original = { writeHead: res.writeHead, write: res.write, end: res.end };
  // The status the route had before the pipeline ran (its @HttpCode or the default).
  const expectedStatus = res.statusCode;
  let headWritten = false;
  let passThrough = false;
  /**
   * An interceptor outside, or an exception filter, that turned this request into an error (a
   * post-response authorization check that saw no value and refused) is obeyed: its error goes
   * out as it is, never the stored body.
   */
  const refused = (status: number): boolean => status >= 400 && status !== expectedStatus;
  const writeHead = (headersArg: OutgoingHttpHeaders | undefined): void => {
    if (headWritten) return;
    headWritten = true;
    const merged: OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(res.getHeaders())) merged[name.toLowerCase()] = value;
    if (headersArg) for (const [name, value] of Object.entries(headersArg)) merged[name.toLowerCase()] = value;
    for (const name of res.getHeaderNames()) res.removeHeader(name);
    for (const name of BODY_HEADERS) if (!keep.has(name)) delete merged[name];
    const storedNames = new Set(stored.headers.map(([name]) => name).filter((name) => !keep.has(name)));
    for (const name of storedNames) delete merged[name];
    for (const [name, value] of stored.headers) {
      if (!storedNames.has(name)) continue;
      const present = merged[name];
      merged[name] = present === undefined ? value : ([] as string[]).concat(present as string | string[], value);
    }
    if (stored.body !== undefined) merged['content-length'] = String(typeof stored.body === 'string' ? Buffer.byteLength(stored.body) : stored.body.length);
    res.statusCode = stored.status;
    (original.writeHead as (...a: unknown[]) => unknown).call(res, stored.status, merged);
  };
  res.writeHead = function replayHead(this: ServerResponse, ...args: unknown[]) {
    if (passThrough || refused(typeof args[0] === 'number' ? args[0] : res.statusCode)) {
      passThrough = true;
      return (original.writeHead as (...a: unknown[]) => ServerResponse).apply(this, args);
    }
    const headersArg = (typeof args[1] === 'object' && args[1] !== null ? args[1] : args[2]) as OutgoingHttpHeaders | undefined;
    writeHead(headersArg);
    return this;
  } as ServerResponse['writeHead'];
  res.write = function swallow(this: ServerResponse, ...args: unknown[]): boolean {
    if (passThrough) return (original.write as (...a: unknown[]) => boolean).apply(this, args);
    return true;
  } as ServerResponse['write'];
  res.end = function replayEnd(this: ServerResponse, ...args: unknown[]) {
    if (!this.headersSent && refused(res.statusCode)) passThrough = true;
    if (passThrough) return (original.end as (...a: unknown[]) => unknown).apply(this, args);
    if (!this.headersSent) writeHead(undefined);
    const callback = args.find((a) => typeof a === 'function');
    const body = stored.status === 304 || stored.status === 204 ? [] : stored.body === undefined ? [] : [stored.body];
    return (original.end as (...a: unknown[]) => unknown).call(this, ...body, ...(callback ? [callback] : []));
  } as ServerResponse['end'];
}

/**
 * Replays a stored entry on `res`, as a 304 without a body when the request's `If-None-Match`
 * matches `etag` (2xx entries only: a cached 404 stays a 404, RFC 9110 §13.2.1).
 */
export function replayEntry(res: ServerResponse, entry: ValidHttpEntry, etag: string | undefined, ifNoneMatch: string | string[] | undefined, keep: ReadonlyMap<string, string>): void {
  const notModified = etag !== undefined && entry.status >= 200 && entry.status < 300 && matchesIfNoneMatch(ifNoneMatch, etag);
  if (!notModified) return replayStored(res, { status: entry.status, headers: entry.headers, body: entry.bytes }, keep);
  replayStored(res, { status: 304, headers: entry.headers.filter(([name]) => name !== 'content-type'), body: undefined }, keep);
}

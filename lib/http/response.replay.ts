import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import {
  matchesIfNoneMatch,
  REPRESENTATION_HEADERS as REPRESENTATION,
  type ValidHttpEntry,
} from './http-cache.entry.js';

/** A stored response to send again. */
export interface ReplayedResponse {
  readonly status: number;
  /** Stored headers, lower-case names. */
  readonly headers: readonly (readonly [string, string])[];
  /** The body: UTF-8 text or bytes; omitted for a 304. */
  readonly body: string | Buffer | undefined;
}

/** What a replay needs to know besides the stored response. */
export interface ReplayContext {
  /** Headers the interceptor itself sets for a hit (X-Cache, Age, ETag, ...): dropped if the hit is refused. */
  readonly own: readonly string[];
}

const TRANSFER = ['content-length', 'transfer-encoding'];

/**
 * Makes `res` send `stored` whatever the rest of the pipeline sends. On a hit the interceptor
 * hands the pipeline no value; the interceptors outside it and the platform's serializer run on
 * that as usual, and at the last stop (`writeHead` / `write` / `end` of the Node response) the
 * status and body are replaced by the stored ones: what the miss sent after every interceptor and
 * serializer, so nothing shapes it twice.
 *
 * Headers: the representation (`Content-Type`, `Location`, `ETag`, `Vary`, ...) is the stored
 * one; any other header this request's pipeline set (middleware and guards before the route, an
 * outer interceptor's trace id, a session's cookie) keeps this request's value; the stored ones
 * fill in the rest (headers the handler or inner interceptors set on the miss).
 *
 * A refusal is obeyed: when an interceptor outside or an exception filter turned the request into
 * a 4xx (an ownership check that saw no value), that response goes out as it is, without the
 * interceptor's own cache headers, never the stored body. A 5xx is not a refusal but a failure
 * on the stand-in value (an outer `map` reading `.length` of nothing): the stored response, which
 * that interceptor produced on the miss, is sent.
 */
export function replayStored(res: ServerResponse, stored: ReplayedResponse, context: ReplayContext): void {
  const original = { writeHead: res.writeHead, write: res.write, end: res.end };
  // The status the route had before the pipeline ran (its @HttpCode or the default).
  const expectedStatus = res.statusCode;
  let headWritten = false;
  let passThrough = false;
  const refused = (status: number): boolean => status >= 400 && status < 500 && status !== expectedStatus;
  const dropOwn = (headersArg: OutgoingHttpHeaders | undefined): void => {
    for (const name of context.own) {
      res.removeHeader(name);
      if (headersArg) for (const key of Object.keys(headersArg)) if (key.toLowerCase() === name) delete headersArg[key];
    }
  };
  const writeHead = (headersArg: OutgoingHttpHeaders | undefined): void => {
    if (headWritten) return;
    headWritten = true;
    const current: OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(res.getHeaders())) current[name.toLowerCase()] = value;
    if (headersArg) for (const [name, value] of Object.entries(headersArg)) current[name.toLowerCase()] = value;
    for (const name of res.getHeaderNames()) res.removeHeader(name);
    const merged: OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(current)) {
      if (!REPRESENTATION.has(name) && !TRANSFER.includes(name)) merged[name] = value;
    }
    for (const [name, value] of stored.headers) {
      if (!REPRESENTATION.has(name) && current[name] !== undefined) continue;
      const present = merged[name];
      merged[name] = present === undefined ? value : ([] as string[]).concat(present as string | string[], value);
    }
    // Our own validators and Vary (set for this hit) where the stored response has none.
    for (const name of ['etag', 'vary'])
      if (merged[name] === undefined && current[name] !== undefined) merged[name] = current[name];
    if (stored.body !== undefined) {
      merged['content-length'] = String(
        typeof stored.body === 'string' ? Buffer.byteLength(stored.body) : stored.body.length,
      );
    }
    res.statusCode = stored.status;
    (original.writeHead as (...a: unknown[]) => unknown).call(res, stored.status, merged);
  };
  res.writeHead = function replayHead(this: ServerResponse, ...args: unknown[]) {
    const headersArg = (typeof args[1] === 'object' && args[1] !== null ? args[1] : args[2]) as
      OutgoingHttpHeaders | undefined;
    if (passThrough || refused(typeof args[0] === 'number' ? args[0] : res.statusCode)) {
      if (!passThrough) dropOwn(headersArg);
      passThrough = true;
      return (original.writeHead as (...a: unknown[]) => ServerResponse).apply(this, args);
    }
    writeHead(headersArg);
    return this;
  } as ServerResponse['writeHead'];
  res.write = function swallow(this: ServerResponse, ...args: unknown[]): boolean {
    if (passThrough) return (original.write as (...a: unknown[]) => boolean).apply(this, args);
    return true;
  } as ServerResponse['write'];
  res.end = function replayEnd(this: ServerResponse, ...args: unknown[]) {
    if (!this.headersSent && !passThrough && refused(res.statusCode)) {
      dropOwn(undefined);
      passThrough = true;
    }
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
export function replayEntry(
  res: ServerResponse,
  entry: ValidHttpEntry,
  etag: string | undefined,
  ifNoneMatch: string | string[] | undefined,
  context: ReplayContext,
): void {
  const notModified =
    etag !== undefined && entry.status >= 200 && entry.status < 300 && matchesIfNoneMatch(ifNoneMatch, etag);
  if (!notModified)
    return replayStored(res, { status: entry.status, headers: entry.headers, body: entry.bytes }, context);
  replayStored(
    res,
    { status: 304, headers: entry.headers.filter(([name]) => name !== 'content-type'), body: undefined },
    context,
  );
}

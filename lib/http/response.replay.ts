import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { matchesIfNoneMatch, type ValidHttpEntry } from './http-cache.entry.js';
import { replayPlanOf, type ReplayPlan } from './response-replay.plan.js';

/** What a replay needs to know besides the stored response. */
export interface ReplayContext {
  /** Headers the interceptor itself sets for a hit (X-Cache, Age, ETag, ...): dropped if the hit is refused. */
  readonly own: readonly string[];
}

/** One replay's state, shared by its three wrappers. */
interface Replay {
  readonly plan: ReplayPlan;
  readonly own: readonly string[];
  /** The status the route had before the pipeline ran (its @HttpCode or the default). */
  readonly expectedStatus: number;
  readonly writeHead: (...args: unknown[]) => ServerResponse;
  readonly write: (...args: unknown[]) => boolean;
  readonly end: (...args: unknown[]) => ServerResponse;
  headWritten: boolean;
  passThrough: boolean;
}

/**
 * Makes `res` send `plan` whatever the rest of the pipeline sends. On a hit the interceptor
 * hands the pipeline no value; the interceptors outside it and the platform's serializer run on
 * that as usual, and at the last stop (`writeHead` / `write` / `end` of the Node response) the
 * status and body are replaced by the stored ones: what the miss sent after every interceptor and
 * serializer, so nothing shapes it twice. Head and body leave in one `end`, as one write.
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
export function replayPlan(res: ServerResponse, plan: ReplayPlan, context: ReplayContext): void {
  const replay: Replay = {
    plan,
    own: context.own,
    expectedStatus: res.statusCode,
    writeHead: res.writeHead as Replay['writeHead'],
    write: res.write as Replay['write'],
    end: res.end as Replay['end'],
    headWritten: false,
    passThrough: false,
  };
  res.writeHead = function replayHead(this: ServerResponse, ...args: unknown[]) {
    const headersArg = (typeof args[1] === 'object' && args[1] !== null ? args[1] : args[2]) as
      OutgoingHttpHeaders | undefined;
    if (replay.passThrough || refused(replay, typeof args[0] === 'number' ? args[0] : res.statusCode)) {
      if (!replay.passThrough) dropOwn(res, replay.own, headersArg);
      replay.passThrough = true;
      return replay.writeHead.apply(this, args);
    }
    writeStoredHead(res, replay, headersArg);
    return this;
  } as ServerResponse['writeHead'];
  res.write = function swallow(this: ServerResponse, ...args: unknown[]): boolean {
    return replay.passThrough ? replay.write.apply(this, args) : true;
  } as ServerResponse['write'];
  res.end = function replayEnd(this: ServerResponse, ...args: unknown[]) {
    if (!this.headersSent && !replay.passThrough && refused(replay, res.statusCode)) {
      dropOwn(res, replay.own, undefined);
      replay.passThrough = true;
    }
    if (replay.passThrough) return replay.end.apply(this, args);
    if (!this.headersSent) writeStoredHead(res, replay, undefined);
    const callback = args.find((a) => typeof a === 'function');
    const { status, body } = replay.plan;
    // A copy of a held Buffer: whatever wraps `end` downstream never touches the entry later hits send.
    const sent = status === 304 || status === 204 || body === undefined ? undefined : copyOf(body);
    if (sent === undefined) return callback ? replay.end.call(this, callback) : replay.end.call(this);
    return callback ? replay.end.call(this, sent, callback) : replay.end.call(this, sent);
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
    etag !== undefined &&
    ifNoneMatch !== undefined &&
    entry.status >= 200 &&
    entry.status < 300 &&
    matchesIfNoneMatch(ifNoneMatch, etag);
  replayPlan(res, replayPlanOf(entry, notModified), context);
}

function refused(replay: Replay, status: number): boolean {
  return status >= 400 && status < 500 && status !== replay.expectedStatus;
}

/**
 * Writes the stored head, on the response's own headers: the ones this request's pipeline set
 * (and, on Fastify, the ones handed to `writeHead`) stay unless the store has them or they
 * describe the stand-in body.
 */
function writeStoredHead(res: ServerResponse, replay: Replay, headersArg: OutgoingHttpHeaders | undefined): void {
  if (replay.headWritten) return;
  replay.headWritten = true;
  const plan = replay.plan;
  if (headersArg) {
    for (const name of Object.keys(headersArg)) {
      const value = headersArg[name];
      if (value !== undefined) res.setHeader(name, value);
    }
  }
  // One call for the names set so far instead of one per name: every method call and property
  // write on an Express response is slow (its prototype is swapped per request).
  for (const name of res.getHeaderNames()) if (plan.dropped.has(name)) res.removeHeader(name);
  for (const [name, value] of plan.representation) res.setHeader(name, value);
  for (const [name, value] of plan.others) if (!res.hasHeader(name)) res.setHeader(name, value);
  if (plan.contentLength !== undefined) res.setHeader('content-length', plan.contentLength);
  // writeHead sets statusCode itself.
  replay.writeHead.call(res, plan.status);
}

function dropOwn(res: ServerResponse, own: readonly string[], headersArg: OutgoingHttpHeaders | undefined): void {
  for (const name of own) {
    res.removeHeader(name);
    if (headersArg) for (const key of Object.keys(headersArg)) if (key.toLowerCase() === name) delete headersArg[key];
  }
}

function copyOf(body: string | Buffer): string | Buffer {
  return typeof body === 'string' ? body : Buffer.from(body);
}

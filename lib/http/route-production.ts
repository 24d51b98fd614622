import { StreamableFile, type CallHandler, type ExecutionContext } from '@nestjs/common';
import type { HttpAdapterHost } from '@nestjs/core';
import { lastValueFrom } from 'rxjs';
import type { ResolvedRedisCacheOptions } from '../options/resolved-redis-cache-options.interface.js';
import {
  entryFromSent,
  matchesIfNoneMatch,
  parseHttpEntry,
  weakEtag,
  type ValidHttpEntry,
} from './http-cache.entry.js';
import {
  headerText,
  rawResponseOf,
  requestOf,
  responseOf,
  type HttpRequest,
  type HttpResponse,
} from './http-request.access.js';
import { captureSent, type SentResponse } from './response.capture.js';
import { whyNotStored } from './response-storage.rules.js';
import type { RoutePolicy } from './route-policy.registry.js';
import { hideUnkeyedHeaders } from './unkeyed-headers.js';
import { appendVary, type CacheHeaders } from './cache-headers.js';

/** What producing a route's response gives: the handler's value for the pipeline, then the entry to store. */
export interface Production {
  /** The handler's value (or its error), as soon as it is there: the platform sends it. */
  readonly handled: Promise<unknown>;
  /** The response as sent, once sent, when it may be stored; else `undefined`. */
  readonly stored: Promise<ValidHttpEntry | undefined>;
}

/** What {@link produceRoute} asks of the interceptor: its decisions, as callbacks. */
export interface ProductionContext {
  readonly request: HttpRequest;
  readonly response: HttpResponse;
  readonly route: RoutePolicy;
  readonly next: CallHandler;
  readonly maxBytes: number;
  readonly etag: boolean;
  readonly canonicalHost: string | undefined;
  /** Names never stored (the cache status header). */
  readonly excluded: ReadonlySet<string>;
  /** Headers for a response that will be stored (Cache-Control), added right before its head goes out. */
  headersForStored(): Record<string, string>;
  /** Whether the handler's value and the sent response may be stored (the interceptor's hook), once the rules passed. */
  isStorable(sent: SentResponse, body: unknown): boolean;
}

/**
 * Runs the route's handler once for a response that may be stored: the unkeyed headers (and the
 * request's validators, so that the platform never answers 304 on its own) are hidden until the
 * response went out, and what the platform finally sends is captured. Right before the head goes out, a
 * storable response gets its `ETag`, `Vary` and `Cache-Control`, and becomes a 304 when the
 * request's `If-None-Match` matches; the full response is what is recorded.
 */
export function produceRoute(ctx: ProductionContext): Production {
  const { request, response, route } = ctx;
  const before = snapshot(response);
  const ifNoneMatch = request.headers['if-none-match'];
  const restore = hideUnkeyedHeaders(request, route.unkeyed, ctx.canonicalHost);
  const validators = hideValidators(request);
  let addedCacheControl = false;
  const rules = { statuses: route.statuses, keyedHeaders: route.key.headers, varyBefore: before.get('vary') ?? '' };
  const captured = captureSent(rawResponseOf(response), {
    maxBytes: ctx.maxBytes,
    beforeHead: (status, body) => {
      const current = currentHeaders(response);
      const preview: SentResponse = {
        status,
        headers: current,
        body: body ?? Buffer.alloc(0),
        partial: body === undefined,
      };
      if (whyNotStored(preview, rules) !== undefined) return undefined;
      const headers: Record<string, string> = {};
      if (route.vary) headers.vary = appendVary(headerText(current.get('vary')), route.vary);
      if (!current.has('cache-control')) {
        Object.assign(headers, ctx.headersForStored());
        addedCacheControl = headers['cache-control'] !== undefined;
      }
      const etag = headerText(current.get('etag')) || (ctx.etag && body ? weakEtag(body) : '');
      if (etag && !current.has('etag')) headers.etag = etag;
      const notModified = etag !== '' && status >= 200 && status < 300 && matchesIfNoneMatch(ifNoneMatch, etag);
      return { headers, status: notModified ? 304 : undefined };
    },
  });
  // Hidden until the response went out, not only while the handler runs: interceptors outside
  // this one and the platform (Express answers a fresh If-None-Match itself) read them too.
  void captured.then(() => {
    restore();
    validators();
  });
  const handled = lastValueFrom(ctx.next.handle(), { defaultValue: undefined });
  const stored = handled.then(
    async (body) => {
      const sent = await captured;
      if (body instanceof StreamableFile || ArrayBuffer.isView(body) || isStream(body)) return undefined;
      if (!sent) return undefined;
      // Our own Cache-Control (private for a principal) is not the route's: it neither refuses
      // storage nor is stored; each hit sends its remaining max-age.
      const own = addedCacheControl ? withoutHeader(sent, 'cache-control') : sent;
      if (whyNotStored(own, rules) !== undefined || !ctx.isStorable(own, body)) return undefined;
      return parseHttpEntry(entryFromSent(own, before, ctx.excluded), route.statuses);
    },
    // A thrown handler: its error response is the platform's, never stored.
    () => undefined,
  );
  return { handled, stored };
}

/**
 * The interceptor's side of {@link produceRoute}: the module options and the cache's own headers,
 * fixed for the interceptor's lifetime, so that a miss hands over only what is its own.
 */
export class RouteProducer {
  constructor(
    private readonly options: ResolvedRedisCacheOptions,
    private readonly adapterHost: HttpAdapterHost,
    private readonly headers: CacheHeaders,
  ) {}

  /**
   * Runs the handler of a miss (see {@link produceRoute}), the cache status header set to `MISS`
   * first; `isStorable` is the interceptor's decision on the handler's value and the sent response.
   */
  produce(
    context: ExecutionContext,
    next: CallHandler,
    route: RoutePolicy,
    isStorable: ProductionContext['isStorable'],
  ): Production {
    const statusHeader = this.options.http.cacheStatusHeader;
    const response = responseOf(context);
    // Set before the handler runs, so a response the handler throws also tells the client the cache missed.
    if (statusHeader) this.adapterHost.httpAdapter.setHeader(response, statusHeader, 'MISS');
    const request = requestOf(context);
    return produceRoute({
      request,
      response,
      route,
      next,
      maxBytes: this.options.maxValueBytes,
      etag: this.options.http.etag,
      canonicalHost: this.options.http.canonicalHost,
      excluded: this.headers.excluded,
      headersForStored: () => this.headers.forStored(request, route),
      isStorable,
    });
  }
}

function withoutHeader(sent: SentResponse, name: string): SentResponse {
  const headers = new Map(sent.headers);
  headers.delete(name);
  return { ...sent, headers };
}

/** The response's headers before the route ran (set by middleware: CORS, security headers, a session; and `@Header()`). */
function snapshot(response: HttpResponse): Map<string, string> {
  const headers = new Map<string, string>();
  for (const [name, value] of headerEntries(response)) headers.set(name, headerText(value));
  return headers;
}

function currentHeaders(response: HttpResponse): Map<string, string | string[]> {
  const headers = new Map<string, string | string[]>();
  for (const [name, value] of headerEntries(response))
    headers.set(name, Array.isArray(value) ? value.map(String) : String(value));
  return headers;
}

/** Headers set so far, on a Fastify reply and on its Node response alike. */
function headerEntries(response: HttpResponse): [string, unknown][] {
  const raw = rawResponseOf(response);
  const entries: [string, unknown][] = Object.entries(raw.getHeaders());
  if (raw !== (response as unknown)) entries.push(...Object.entries(response.getHeaders()));
  return entries.filter(([, value]) => value !== undefined).map(([name, value]) => [name.toLowerCase(), value]);
}

/** Hides `If-None-Match` / `If-Modified-Since` while the handler runs; returns the restorer. */
function hideValidators(request: HttpRequest): () => void {
  const saved = ['if-none-match', 'if-modified-since'].map((name) => [name, request.headers[name]] as const);
  for (const [name] of saved) delete request.headers[name];
  return () => {
    for (const [name, value] of saved) if (value !== undefined) request.headers[name] = value;
  };
}

function isStream(body: unknown): boolean {
  return typeof body === 'object' && body !== null && typeof (body as { pipe?: unknown }).pipe === 'function';
}

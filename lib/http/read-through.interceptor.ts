import {
  Inject,
  Injectable,
  Logger,
  StreamableFile,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { from, lastValueFrom, type Observable } from 'rxjs';
import { CacheKeyBuilder } from '../keys/cache-key.builder.js';
import { readPath } from '../keys/key-template.compiler.js';
import type { RequestKeySource } from '../keys/request-key.factory.js';
import type { ResolvedRedisCacheOptions } from '../options/resolved-redis-cache-options.interface.js';
import { ReadThroughExecutor } from '../read-through/read-through.executor.js';
import { LOGGER_CONTEXT, RESOLVED_REDIS_CACHE_OPTIONS } from '../redis-cache.constants.js';
import type { CacheEntry } from '../serializers/cache-entry.codec.js';
import { describeError } from '../utils/redact.util.js';
import { ThrottledLogger } from '../utils/throttled-logger.util.js';
import { isJsonBody, JSON_CONTENT_TYPE, matchesIfNoneMatch, weakEtag, type HttpCacheEntry } from './http-cache-entry.util.js';
import { RequestCredentials } from './request-credentials.util.js';
import { RoutePolicyRegistry, type RoutePolicy } from './route-policy.registry.js';

/** How a response was produced, as told by the cache status header. */
export type CacheStatus = 'HIT' | 'STALE' | 'MISS' | 'BYPASS';

/** A response about to be sent by the interceptor, handed to {@link ReadThroughInterceptor.setHeaders}. */
export interface CachedResponse {
  readonly status: CacheStatus;
  /** The stored entry (absent on BYPASS and on a MISS that was not stored). */
  readonly entry?: HttpCacheEntry;
  readonly createdAt?: number;
  readonly freshUntil?: number;
}

/** The request and response objects of Express or Fastify, as far as the interceptor reads them. */
interface HttpRequest {
  method: string;
  headers: Record<string, string | string[] | undefined>;
  params?: unknown;
  query?: unknown;
  user?: unknown;
  socket?: { localAddress?: string; localPort?: number };
  raw?: { socket?: { localAddress?: string; localPort?: number } };
}
interface HttpResponse {
  statusCode: number;
  getHeader(name: string): unknown;
}

/** Result of running the handler once for a key: its body, and the entry when it may be shared. */
interface Production {
  readonly body: unknown;
  readonly entry?: HttpCacheEntry;
  readonly createdAt: number;
  readonly freshUntil: number;
  /** The entry another instance stored while this one waited for the lock; no handler ran here. */
  readonly fromStore?: boolean;
}

/**
 * Read-through caching for controller routes decorated with `@ReadThrough`.
 * Bind it per route or controller with `@UseInterceptors(ReadThroughInterceptor)`, or globally
 * with `APP_INTERCEPTOR`; routes without `@ReadThrough` pass straight through.
 *
 * `X-Cache` tells `HIT`, `STALE` (served within the stale-while-revalidate grace while one
 * refresh runs), `MISS` or `BYPASS`.
 *
 * Only GET and HEAD are cached (HEAD answers from GET's entry), only allowed statuses (200 by
 * default), never streams, `StreamableFile`, responses that set cookies or say
 * `Cache-Control: no-store | private`. Requests that carry a credential (`http.credentialHeaders`
 * such as `Authorization`, `Cookie`, `X-API-Key`; `http.credentialQueryParams` such as
 * `access_token`) or on which a guard set `req.user` bypass the cache unless the key names the
 * principal (`{user.id}`, `{headers.x-api-key}` — hashed) or the route says `shared: true`. Interceptors run after guards, so auth is checked on every hit.
 *
 * Extend it and override the `protected` hooks to change keys or rules.
 *
 * @example
 * class TenantCacheInterceptor extends ReadThroughInterceptor {
 *   protected override buildKey(context: ExecutionContext, route: RoutePolicy): string {
 *     const tenant = context.switchToHttp().getRequest().headers['x-tenant'];
 *     return `${tenant}:${super.buildKey(context, route)}`;
 *   }
 * }
 */
@Injectable()
export class ReadThroughInterceptor implements NestInterceptor {
  protected readonly logger = new Logger(LOGGER_CONTEXT);
  private readonly warnings = new ThrottledLogger(this.logger);
  private readonly keys: CacheKeyBuilder;
  private readonly credentials: RequestCredentials;

  constructor(
    protected readonly executor: ReadThroughExecutor,
    protected readonly routes: RoutePolicyRegistry,
    @Inject(RESOLVED_REDIS_CACHE_OPTIONS) protected readonly options: ResolvedRedisCacheOptions,
    protected readonly adapterHost: HttpAdapterHost,
  ) {
    this.keys = new CacheKeyBuilder(options.prefix);
    this.credentials = new RequestCredentials(options.http.credentialHeaders, options.http.credentialQueryParams);
  }

  /** @internal Nest interceptor entry point. */
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const route = this.routes.get(context.getHandler(), context.getClass());
    if (!route) return next.handle();
    if (!this.isRequestCacheable(context, route)) {
      this.setHeaders(context, route, { status: 'BYPASS' });
      return next.handle();
    }
    let key: string;
    try {
      key = this.keys.build(route.policy.namespace, this.buildKey(context, route));
    } catch (error) {
      this.warnings.warn(`key:${route.label}`, `${route.label}: could not build the cache key, not caching: ${describeError(error)}`);
      this.setHeaders(context, route, { status: 'BYPASS' });
      return next.handle();
    }
    return from(this.serve(context, next, route, key));
  }

  /**
   * The `<key>` part of `<prefix>:<namespace>:<key>` for this request: the route's template
   * over params, query, user and headers, or `<METHOD>:<path>?<sorted query>`.
   */
  protected buildKey(context: ExecutionContext, route: RoutePolicy): string {
    return route.key.build(this.keySource(context));
  }

  /**
   * Whether this request may be answered from, or stored in, the cache: GET or HEAD; no
   * credentials unless the key identifies the principal (which must then be known) or the route
   * is `shared`; and, with `respectRequestCacheControl`, no `Cache-Control: no-store`.
   */
  protected isRequestCacheable(context: ExecutionContext, route: RoutePolicy): boolean {
    const request = requestOf(context);
    if (request.method !== 'GET' && request.method !== 'HEAD') return false;
    if (this.options.http.respectRequestCacheControl && /\bno-store\b/i.test(headerText(request.headers['cache-control']))) {
      return false;
    }
    // A guard that authenticated the request (req.user) makes it per-principal too, whatever
    // carried the credential.
    const hasCredentials =
      request.user != null || this.credentials.carried(request.headers, String(this.adapterHost.httpAdapter.getRequestUrl(request)));
    if (!hasCredentials || route.shared) return true;
    if (!route.key.perPrincipal) return false;
    // A key naming {user.id} while no guard set a user would put every caller under one key.
    // The same reader as the key template, so the check and the key always see the same value.
    return route.key.userPaths.every((path) => readPath(request.user, path) != null);
  }

  /**
   * Whether the handler's result may be stored: an allowed status; a body that is neither
   * `undefined`, a stream, a `StreamableFile` nor raw bytes (`null` only with `cacheNull`); no
   * `Set-Cookie`; no `Cache-Control: no-store | no-cache | private` and no `Vary: *` on the
   * response; and
   * the route's `condition` / `unless`.
   */
  protected isResponseCacheable(context: ExecutionContext, route: RoutePolicy, body: unknown): boolean {
    const response = responseOf(context);
    if (!route.statuses.has(response.statusCode)) return false;
    if (body instanceof StreamableFile || ArrayBuffer.isView(body) || isStream(body)) return false;
    if (response.getHeader('set-cookie') !== undefined) return false;
    // no-cache means "revalidate before reuse", which a read-through cache cannot do (RFC 9111 §5.2.2.4).
    if (/\b(no-store|no-cache|private)\b/i.test(headerText(response.getHeader('cache-control')))) return false;
    if (headerText(response.getHeader('vary')).includes('*')) return false;
    return this.executor.isStorable(body, route.policy);
  }

  /** Sets the cache status, `Age`, `ETag`, `Vary` and `Cache-Control` headers of a response. */
  protected setHeaders(context: ExecutionContext, route: RoutePolicy, response: CachedResponse): void {
    const http = this.options.http;
    const res = responseOf(context);
    if (http.cacheStatusHeader) this.setHeader(res, http.cacheStatusHeader, response.status);
    if (response.status === 'BYPASS') return;
    if (route.vary) this.setHeader(res, 'Vary', appendVary(headerText(res.getHeader('vary')), route.vary));
    if (!response.entry || response.createdAt === undefined || response.freshUntil === undefined) return;
    const now = Date.now();
    if (response.status === 'HIT' || response.status === 'STALE') this.setHeader(res, 'Age', String(Math.max(0, Math.floor((now - response.createdAt) / 1000))));
    if (http.etag && response.entry.e) this.setHeader(res, 'ETag', response.entry.e);
    if (res.getHeader('cache-control') === undefined) {
      const maxAge = Math.max(0, Math.ceil((response.freshUntil - now) / 1000));
      // Per-user entries are always marked private, so a CDN in front never re-shares them.
      if (route.key.perPrincipal) this.setHeader(res, 'Cache-Control', `private, max-age=${maxAge}`);
      else if (http.cacheControl) this.setHeader(res, 'Cache-Control', `public, max-age=${maxAge}`);
    }
  }

  private async serve(context: ExecutionContext, next: CallHandler, route: RoutePolicy, key: string): Promise<unknown> {
    const request = requestOf(context);
    const ticket = this.executor.ticket();
    const revalidate = this.options.http.respectRequestCacheControl && /\bno-cache\b/i.test(headerText(request.headers['cache-control']));
    let writeBack = true;
    if (!revalidate) {
      const cached = await this.executor.lookup(key, route.policy);
      writeBack = cached !== 'unavailable';
      const entry = typeof cached === 'object' ? asHttpEntry(cached.value) : undefined;
      if (typeof cached === 'object' && entry) {
        // A stale hit is answered at once; one background run of the handler refreshes it.
        const { graceMs, earlyRefreshBeta } = route.policy;
        const freshness =
          graceMs > 0 || earlyRefreshBeta > 0
            ? this.executor.freshness(key, route.policy, cached, () => this.produce(context, next, route, key, true))
            : 'fresh';
        const status = freshness === 'stale' ? 'STALE' : 'HIT';
        return this.respond(context, route, { status, entry, createdAt: cached.createdAt, freshUntil: cached.freshUntil });
      }
    }
    // Set before the handler runs, so a response the handler throws (an HttpException rendered
    // by an exception filter) also tells the client the cache missed.
    const statusHeader = this.options.http.cacheStatusHeader;
    if (statusHeader) this.setHeader(responseOf(context), statusHeader, 'MISS');
    let produced = false;
    const production = await this.executor.coalesce(key, ticket, () => {
      produced = true;
      const run = (): Promise<Production> => this.produce(context, next, route, key, writeBack);
      // With `lock`, one instance runs the handler; the others answer with the response it
      // stored. A request that asked to revalidate runs the handler, as it asked.
      return writeBack && !revalidate ? this.executor.underLock(key, route.policy, run, storedProduction) : run();
    });
    if (produced && !production.fromStore) {
      this.setHeaders(context, route, { status: 'MISS', ...production });
      return production.entry && this.notModified(context, production.entry) ? undefined : production.body;
    }
    // Joined another request's run, or answered by another instance's: share the response only
    // if it was cacheable.
    if (production.entry) {
      const { entry, createdAt, freshUntil } = production;
      return this.respond(context, route, { status: 'MISS', entry, createdAt, freshUntil });
    }
    this.setHeaders(context, route, { status: 'BYPASS' });
    return lastValueFrom(next.handle(), { defaultValue: undefined });
  }

  /** Runs the handler once for `key`; stores a cacheable result when `writeBack` (the store answered the lookup). */
  private async produce(context: ExecutionContext, next: CallHandler, route: RoutePolicy, key: string, writeBack: boolean): Promise<Production> {
    const restoreHeaders = this.hideUnkeyedHeaders(context, route);
    const started = performance.now();
    let body: unknown;
    try {
      body = await lastValueFrom(next.handle(), { defaultValue: undefined });
    } finally {
      restoreHeaders();
    }
    const createdAt = Date.now();
    const freshUntil = createdAt + route.policy.ttlMs;
    if (!this.isResponseCacheable(context, route, body)) {
      this.executor.countSkippedWrite();
      return { body, createdAt, freshUntil };
    }
    const res = responseOf(context);
    const contentType = res.getHeader('content-type');
    // isResponseCacheable refused streams, files and bytes: an object here is sent as JSON.
    const json = isJsonBody(body) ? JSON.stringify(body) : undefined;
    const entry: HttpCacheEntry = {
      ...(json === undefined ? { b: body } : { j: json }),
      s: res.statusCode,
      ...(typeof contentType === 'string' ? { t: contentType } : {}),
      ...(this.options.http.etag ? { e: weakEtag(json ?? String(body)) } : {}),
    };
    // The handler's run time feeds early refresh (XFetch), as for service methods.
    if (writeBack) await this.executor.store(key, entry, route.policy, performance.now() - started);
    else this.executor.countSkippedWrite();
    return { body, entry, createdAt, freshUntil };
  }

  private respond(context: ExecutionContext, route: RoutePolicy, response: CachedResponse & { entry: HttpCacheEntry }): unknown {
    const res = responseOf(context);
    // Most entries are 200, the status a response starts with: skip the platform call then.
    if (res.statusCode !== response.entry.s) this.adapterHost.httpAdapter.status(res, response.entry.s);
    const { entry } = response;
    const contentType = entry.t ?? (entry.j === undefined ? undefined : JSON_CONTENT_TYPE);
    if (contentType !== undefined && res.getHeader('content-type') === undefined) this.setHeader(res, 'Content-Type', contentType);
    this.setHeaders(context, route, response);
    if (this.notModified(context, entry)) return undefined;
    // With its Content-Type set, a string is sent as it is by Express and Fastify: the stored
    // JSON text goes out without being parsed and serialized again.
    return entry.j ?? entry.b;
  }

  /** Turns the response into a bodiless 304 when the client already holds this ETag. */
  private notModified(context: ExecutionContext, entry: HttpCacheEntry): boolean {
    // Only a successful response can be "not modified" (RFC 9110 §13.2.1): a cached 404 stays 404.
    if (!this.options.http.etag || !entry.e || entry.s < 200 || entry.s > 299) return false;
    const request = requestOf(context);
    if (!matchesIfNoneMatch(request.headers['if-none-match'], entry.e)) return false;
    this.adapterHost.httpAdapter.status(responseOf(context), 304);
    return true;
  }

  /**
   * Removes the route's unkeyed headers (and pins `Host`) while the handler produces a
   * response that may be stored, and returns a function that puts them back.
   */
  private hideUnkeyedHeaders(context: ExecutionContext, route: RoutePolicy): () => void {
    const request = requestOf(context);
    const headers = request.headers;
    const saved: [string, string | string[] | undefined][] = [];
    for (const name of route.unkeyedHeaders) {
      if (headers[name] === undefined && name !== 'host') continue;
      saved.push([name, headers[name]]);
      if (name === 'host') headers.host = this.options.http.canonicalHost ?? localAddress(request);
      else delete headers[name];
    }
    return () => {
      for (const [name, value] of saved) {
        if (value === undefined) delete headers[name];
        else headers[name] = value;
      }
    };
  }

  private keySource(context: ExecutionContext): RequestKeySource {
    return new HttpRequestKeySource(requestOf(context), this.adapterHost.httpAdapter);
  }

  private setHeader(res: HttpResponse, name: string, value: string): void {
    this.adapterHost.httpAdapter.setHeader(res, name, value);
  }
}

/**
 * The request as a key template reads it. Getters, so a key reads only what it names (Express 5
 * parses the query string on first access of `req.query`); on the prototype, so a request does
 * not allocate a closure per part.
 */
class HttpRequestKeySource implements RequestKeySource {
  constructor(
    private readonly request: HttpRequest,
    private readonly adapter: HttpAdapterHost['httpAdapter'],
  ) {}

  get method(): string {
    return this.request.method;
  }

  get url(): string {
    return String(this.adapter.getRequestUrl(this.request));
  }

  get params(): unknown {
    return this.request.params;
  }

  get query(): unknown {
    return this.request.query;
  }

  get user(): unknown {
    return this.request.user;
  }

  get headers(): HttpRequest['headers'] {
    return this.request.headers;
  }
}

// Nest's switchToHttp() allocates three closures on every call; the hit path reads the request
// and response several times, so it takes them by index (the order switchToHttp() uses).
function requestOf(context: ExecutionContext): HttpRequest {
  return context.getArgByIndex<HttpRequest>(0);
}

function responseOf(context: ExecutionContext): HttpResponse {
  return context.getArgByIndex<HttpResponse>(1);
}

/** A response another instance stored while this one waited for the lock, if it is one. */
function storedProduction(cached: CacheEntry): Production | undefined {
  const entry = asHttpEntry(cached.value);
  return entry && { body: undefined, entry, createdAt: cached.createdAt, freshUntil: cached.freshUntil, fromStore: true };
}

function asHttpEntry(value: unknown): HttpCacheEntry | undefined {
  // Bytes under an HTTP key that are not an HTTP entry (e.g. written by a service method with
  // a colliding key) are a miss, never a wrong body.
  if (typeof value !== 'object' || value === null || typeof (value as HttpCacheEntry).s !== 'number') return undefined;
  const entry = value as HttpCacheEntry;
  return 'b' in entry || typeof entry.j === 'string' ? entry : undefined;
}

function headerText(value: unknown): string {
  if (value === undefined || value === null) return '';
  return Array.isArray(value) ? value.join(', ') : String(value);
}

function appendVary(existing: string, added: string): string {
  if (!existing) return added;
  const present = new Set(existing.split(',').map((v) => v.trim().toLowerCase()));
  const missing = added.split(',').map((v) => v.trim()).filter((v) => !present.has(v.toLowerCase()));
  return missing.length ? `${existing}, ${missing.join(', ')}` : existing;
}

function isStream(body: unknown): boolean {
  return typeof body === 'object' && body !== null && typeof (body as { pipe?: unknown }).pipe === 'function';
}

function localAddress(request: HttpRequest): string {
  const socket = request.socket ?? request.raw?.socket;
  const address = socket?.localAddress;
  if (!address) return 'localhost';
  const host = address.includes(':') ? `[${address}]` : address;
  return socket.localPort ? `${host}:${socket.localPort}` : host;
}

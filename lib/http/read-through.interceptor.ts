import {
  Inject,
  Injectable,
  Logger,
  Optional,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { lastValueFrom, type Observable } from 'rxjs';
import { CacheKeyBuilder } from '../keys/cache-key.builder.js';
import type { ResolvedRedisCacheOptions } from '../options/resolved-redis-cache-options.interface.js';
import { ReadThroughExecutor, type ReadThroughOutcome } from '../read-through/read-through.executor.js';
import { LOGGER_CONTEXT, RESOLVED_REDIS_CACHE_OPTIONS } from '../redis-cache.constants.js';
import { describeError } from '../utils/redact.util.js';
import { settled } from '../utils/settled-observable.util.js';
import { ThrottledLogger } from '../utils/throttled-logger.util.js';
import { CacheHeaders } from './cache-headers.js';
import { RefreshClaims } from './refresh-claims.js';
import type { ValidHttpEntry } from './http-cache.entry.js';
import { HttpRequestKeySource, requestOf, responseOf } from './http-request.access.js';
import { admitsRequest, asksToRevalidate, requestTags } from './request.admission.js';
import { RequestCredentials } from './request-credentials.util.js';
import type { SentResponse } from './response.capture.js';
import { RouteProducer, type Production } from './route-production.js';
import { cachedResponseOf, replayStoredEntry } from './stored-entry.answer.js';
import type { CachedResponse } from './http-cache.types.js';
import { RouteEvictionRegistry } from './route-eviction.js';
import { RoutePolicyRegistry, type RoutePolicy } from './route-policy.registry.js';

export type { CachedResponse, CacheStatus } from './http-cache.types.js';

/**
 * Read-through caching for controller routes decorated with `@ReadThrough`. Bind it per route
 * or controller with `@UseInterceptors(ReadThroughInterceptor)`, or globally with
 * `APP_INTERCEPTOR`; routes without `@ReadThrough` pass straight through.
 *
 * What is stored is what was sent: the final status, headers and body bytes, captured at the
 * platform's last write, after every interceptor (inside and outside this one) and serializer. A
 * hit sends exactly those bytes; the interceptors outside run on no value and their output is
 * replaced at that same last write, so nothing shapes a body twice.
 *
 * Only GET and HEAD are cached (HEAD answers from GET's entry), only allowed statuses, never
 * streams, files, responses that set cookies, vary on unkeyed headers or say
 * `Cache-Control: no-store | no-cache | private`. Requests that carry a credential or on which a
 * guard set `req.user` bypass unless the key names the principal or the route is `shared`.
 * Interceptors run after guards, so auth is checked on every hit.
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
  private readonly headers: CacheHeaders;
  private readonly refreshes = new RefreshClaims();
  private readonly producer: RouteProducer;
  /** `@CacheEvict` of routes without `@ReadThrough`; injected as a property so subclass constructors stay as they are. */
  @Inject(RouteEvictionRegistry) @Optional() private readonly evictions?: RouteEvictionRegistry;

  constructor(
    private readonly executor: ReadThroughExecutor,
    private readonly routes: RoutePolicyRegistry,
    @Inject(RESOLVED_REDIS_CACHE_OPTIONS) private readonly options: ResolvedRedisCacheOptions,
    private readonly adapterHost: HttpAdapterHost,
  ) {
    this.keys = new CacheKeyBuilder(options.prefix);
    const credentials = new RequestCredentials(options.http.credentialHeaders, options.http.credentialQueryParams);
    this.headers = new CacheHeaders(options.http, credentials, adapterHost, options.clock);
    this.producer = new RouteProducer(options, adapterHost, this.headers);
  }

  /** @internal Nest interceptor entry point. */
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const route = this.routes.get(context.getHandler(), context.getClass());
    if (!route) return this.evictions ? this.evictions.handle(context, next) : next.handle();
    if (!this.isRequestCacheable(context, route)) {
      this.setHeaders(context, route, { status: 'BYPASS' });
      return next.handle();
    }
    let key: string;
    let tags: string[] | undefined;
    try {
      key = this.keys.build(route.policy.namespace, this.buildKey(context, route));
      tags = requestTags(context, route, this.adapterHost.httpAdapter);
    } catch (error) {
      this.warnings.warn(
        `key:${route.label}`,
        `${route.label}: could not build the cache key, not caching: ${describeError(error)}`,
      );
      this.setHeaders(context, route, { status: 'BYPASS' });
      return next.handle();
    }
    return settled(this.serve(context, next, route, key, tags));
  }

  /**
   * The `<key>` part of `<prefix>:<namespace>:<key>` for this request: the route's template
   * over params, query, user and headers, or `<METHOD>:<path>?<sorted query>`.
   */
  protected buildKey(context: ExecutionContext, route: RoutePolicy): string {
    return route.key.build(new HttpRequestKeySource(requestOf(context), this.adapterHost.httpAdapter));
  }

  /**
   * Whether this request may be answered from, or stored in, the cache: GET or HEAD without a
   * body (unless the route allows one); no credential and no `req.user` unless the key names the
   * principal (which must then be known) or the route is `shared`; and, with
   * `respectRequestCacheControl`, no `Cache-Control: no-store`.
   */
  protected isRequestCacheable(context: ExecutionContext, route: RoutePolicy): boolean {
    return admitsRequest(requestOf(context), route, this.headers, this.options.http.respectRequestCacheControl);
  }

  /**
   * Whether a sent response may be stored, after the rules no subclass can lift (an allowed
   * status, no `Set-Cookie`, no `Cache-Control: no-store | no-cache | private`, no `Vary` on an
   * unkeyed header, not streamed) passed: `body` is what the handler returned (the route's
   * `condition` / `unless` / `cacheNull` apply to it), `sent` what the platform sent after every
   * interceptor and serializer.
   */
  protected isResponseCacheable(
    _context: ExecutionContext,
    route: RoutePolicy,
    _sent: SentResponse,
    body: unknown,
  ): boolean {
    return this.executor.isStorable(body, route.policy);
  }

  /** Sets the cache status, `Age`, `ETag`, `Vary` and `Cache-Control` headers of a response. */
  protected setHeaders(context: ExecutionContext, route: RoutePolicy, response: CachedResponse): void {
    this.headers.apply(requestOf(context), responseOf(context), route, response);
  }

  private serve(
    context: ExecutionContext,
    next: CallHandler,
    route: RoutePolicy,
    key: string,
    tags: string[] | undefined,
  ): Promise<unknown> {
    const request = requestOf(context);
    // A request that asked to revalidate, or the first one after a stale or early-refresh hit:
    // it runs the route and stores what it sends (see RefreshClaims).
    const revalidate =
      asksToRevalidate(request, this.options.http.respectRequestCacheControl) || this.refreshes.take(key);
    return new Promise<unknown>((resolve, reject) => {
      // Set when this request runs the handler: the leader hands the handler's value to the
      // pipeline as soon as it is there (the platform sends it, and only then is it known what
      // to store); what the executor resolves after that is for the other requests.
      let leading = false;
      // How long the stored response stays fresh: decided on the handler's value (a ttl function, negativeTtl).
      let freshMs = route.policy.ttlMs;
      this.executor
        .run<ValidHttpEntry | undefined>(key, route.storePolicy, {
          revalidate,
          tags,
          accept: route.acceptEntry,
          load: () => {
            const production = this.produce(context, next, route, request.method === 'HEAD', (ms) => (freshMs = ms));
            leading = true;
            resolve(production.handled);
            return production.stored;
          },
          refresh: () => this.refreshes.request(key),
          ttlOf: () => freshMs,
        })
        .then(
          (outcome) => {
            if (leading) return;
            try {
              resolve(this.answer(context, next, route, outcome));
            } catch (error) {
              reject(error);
            }
          },
          (error: unknown) => {
            if (!leading) return reject(error);
            this.warnings.warn(`run:${route.label}`, `${route.label}: ${describeError(error)}`);
          },
        );
    });
  }

  /** Answers from an entry (a hit, another request's response, another instance's), or runs the handler uncached. */
  private answer(
    context: ExecutionContext,
    next: CallHandler,
    route: RoutePolicy,
    outcome: ReadThroughOutcome<ValidHttpEntry | undefined>,
  ): unknown {
    const entry = outcome.value;
    if (!entry) {
      this.setHeaders(context, route, { status: 'BYPASS' });
      return lastValueFrom(next.handle(), { defaultValue: undefined });
    }
    this.setHeaders(context, route, cachedResponseOf(outcome, entry, route.policy.ttlMs, this.options.clock));
    replayStoredEntry(context, entry, this.options.http.etag, this.headers.own);
    return undefined;
  }

  private produce(
    context: ExecutionContext,
    next: CallHandler,
    route: RoutePolicy,
    head: boolean,
    setFreshMs: (ms: number) => void,
  ): Production {
    // A HEAD response has no body to record: it is answered, never stored.
    return this.producer.produce(context, next, route, (sent, body) => {
      if (head || !this.isResponseCacheable(context, route, sent, body)) return false;
      const freshMs = this.executor.freshMsOf(body, route.policy);
      setFreshMs(freshMs);
      return freshMs > 0;
    });
  }
}

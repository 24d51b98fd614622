import type { HttpAdapterHost } from '@nestjs/core';
import { SYSTEM_CLOCK, type CacheClock } from '../clock/cache.clock.js';
import type { ResolvedHttpCacheOptions } from '../options/resolved-redis-cache-options.interface.js';
import { entryEtag } from './http-cache.entry.js';
import type { CachedResponse } from './http-cache.types.js';
import { headerText, type HttpRequest, type HttpResponse } from './http-request.access.js';
import type { RequestCredentials } from './request-credentials.util.js';
import type { ReplayContext } from './response.replay.js';
import type { RoutePolicy } from './route-policy.registry.js';

/**
 * The cache's own response headers: the status header (`X-Cache`), `Age`, `ETag`, `Vary` for
 * keyed headers, and `Cache-Control` — always `private` for a principal's entry (a CDN must never
 * re-share it), `public` only with `http.cacheControl`, never over one the route set itself.
 */
export class CacheHeaders {
  /** Names never stored (the cache status header). */
  readonly excluded: ReadonlySet<string>;
  /** What setHeaders (this class's `apply`) sets for a hit, taken back if the hit is refused. */
  readonly own: ReplayContext;

  constructor(
    private readonly http: ResolvedHttpCacheOptions,
    private readonly credentials: RequestCredentials,
    private readonly adapterHost: HttpAdapterHost,
    private readonly clock: CacheClock = SYSTEM_CLOCK,
  ) {
    const statusHeader = http.cacheStatusHeader;
    this.excluded = new Set(statusHeader ? [statusHeader.toLowerCase()] : []);
    this.own = { own: [...this.excluded, 'age', 'etag', 'cache-control'] };
  }

  /** Sets the headers of `cached` on `res`. */
  apply(request: HttpRequest, res: HttpResponse, route: RoutePolicy, cached: CachedResponse): void {
    const adapter = this.adapterHost.httpAdapter;
    if (this.http.cacheStatusHeader) adapter.setHeader(res, this.http.cacheStatusHeader, cached.status);
    const { entry, createdAt, freshUntil } = cached;
    if (cached.status === 'BYPASS' || !entry || createdAt === undefined || freshUntil === undefined) return;
    const now = this.clock.now();
    if (cached.status !== 'MISS')
      adapter.setHeader(res, 'Age', String(Math.max(0, Math.floor((now - createdAt) / 1000))));
    const etag = entryEtag(entry, this.http.etag);
    if (etag) adapter.setHeader(res, 'ETag', etag);
    if (route.vary) adapter.setHeader(res, 'Vary', appendVary(headerText(res.getHeader('vary')), route.vary));
    if (!entry.headers.some(([name]) => name === 'cache-control') && res.getHeader('cache-control') === undefined) {
      const cacheControl = this.cacheControl(request, route, Math.max(0, Math.ceil((freshUntil - now) / 1000)));
      if (cacheControl) adapter.setHeader(res, 'Cache-Control', cacheControl);
    }
  }

  /** Headers a response that will be stored gets right before it goes out (its full max-age). */
  forStored(request: HttpRequest, route: RoutePolicy): Record<string, string> {
    const cacheControl = this.cacheControl(request, route, Math.ceil(route.policy.ttlMs / 1000));
    return cacheControl ? { 'cache-control': cacheControl } : {};
  }

  /** Whether the request is a principal's (a credential, or `req.user` set by a guard). */
  isPerPrincipal(request: HttpRequest): boolean {
    return this.credentials.perPrincipal(request, String(this.adapterHost.httpAdapter.getRequestUrl(request)));
  }

  private cacheControl(request: HttpRequest, route: RoutePolicy, maxAge: number): string | undefined {
    if (route.key.perPrincipal || this.isPerPrincipal(request)) return `private, max-age=${maxAge}`;
    return this.http.cacheControl ? `public, max-age=${maxAge}` : undefined;
  }
}

/** `existing` plus the names of `added` it lacks. */
export function appendVary(existing: string, added: string): string {
  if (!existing) return added;
  const present = new Set(existing.split(',').map((v) => v.trim().toLowerCase()));
  const missing = added
    .split(',')
    .map((v) => v.trim())
    .filter((v) => !present.has(v.toLowerCase()));
  return missing.length ? `${existing}, ${missing.join(', ')}` : existing;
}

import { Inject, Injectable, type CallHandler, type ExecutionContext } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { concatMap, from, mergeMap, type Observable } from 'rxjs';
import { getCacheEvictMetadata } from '../decorators/cache-evict.decorator.js';
import { getRouteReadThroughMetadata } from '../decorators/read-through.decorator.js';
import { InvalidRedisCacheOptionsError } from '../errors/invalid-redis-cache-options.error.js';
import { CacheEvictor, type EvictionPlan } from '../explorer/cache.evictor.js';
import { resolveCacheEvictOptions } from '../explorer/cache-evict.options.js';
import type { ResolvedRedisCacheOptions } from '../options/resolved-redis-cache-options.interface.js';
import { RESOLVED_REDIS_CACHE_OPTIONS } from '../redis-cache.constants.js';
import { describeError } from '../utils/redact.util.js';
import { HttpRequestKeySource, requestOf, responseOf } from './http-request.access.js';
import { createRequestKeyFactory, type RequestKeySource } from './request-key.factory.js';

/** The compiled `@CacheEvict` of one route. */
export interface RouteEviction extends EvictionPlan<RequestKeySource> {
  /** Route parameters its templates read (`{params.id}` → `id`), checked against the route path at bootstrap. */
  readonly paramNames: readonly string[];
}

/**
 * `@CacheEvict` on controller routes, run by `ReadThroughInterceptor` for routes without
 * `@ReadThrough`. Keys and tags are request templates derived exactly like route `@ReadThrough`
 * keys (credentials hashed the same way), so `@CacheEvict('cat:{params.id}')` on `PUT /cats/:id`
 * names the entry `@ReadThrough('cat:{params.id}')` on `GET /cats/:id` stored.
 *
 * Only a 2xx response evicts: the status is read when the handler's value comes out (Nest sets
 * `@HttpCode` and the verb's default before the handler runs; a handler may change it), and a
 * thrown exception evicts nothing. The eviction finishes before the response is sent, so a
 * client that reads after its write never gets the old entry back from this cache.
 */
@Injectable()
export class RouteEvictionRegistry {
  private readonly plans = new WeakMap<object, RouteEviction | null>();

  constructor(
    private readonly evictor: CacheEvictor,
    @Inject(RESOLVED_REDIS_CACHE_OPTIONS) private readonly options: ResolvedRedisCacheOptions,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  /** The eviction of `handler` (a method of `controller`), or `undefined`; compiled on first use. */
  get(handler: { readonly name: string }, controller: { readonly name: string }): RouteEviction | undefined {
    let found = this.plans.get(handler);
    if (found === undefined) {
      found = this.compile(handler, controller, `${controller.name}.${handler.name}`);
      this.plans.set(handler, found);
    }
    return found ?? undefined;
  }

  /** Runs the route, evicting what its `@CacheEvict` names when the response is 2xx (or first, with `beforeInvocation`). */
  handle(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const plan = this.get(context.getHandler(), context.getClass());
    if (!plan) return next.handle();
    const source = new HttpRequestKeySource(requestOf(context), this.adapterHost.httpAdapter);
    const targets = this.evictor.targetsOf(plan, source);
    if (plan.beforeInvocation) return from(this.evictor.evict(plan.label, targets)).pipe(mergeMap(() => next.handle()));
    const response = responseOf(context);
    let evicted = false;
    return next.handle().pipe(
      concatMap(async (value: unknown) => {
        if (!evicted && response.statusCode >= 200 && response.statusCode < 300) {
          evicted = true;
          await this.evictor.evict(plan.label, targets);
        }
        return value;
      }),
    );
  }

  private compile(handler: object, controller: object, label: string): RouteEviction | null {
    const metadata = getCacheEvictMetadata(handler);
    if (!metadata) return null;
    if (getRouteReadThroughMetadata(handler, controller)) {
      throw new InvalidRedisCacheOptionsError(
        label,
        'the route has both @ReadThrough (its own or its controller class one) and @CacheEvict: a cached read that evicts on every request',
        'put @CacheEvict on the route that changes the data (PUT, PATCH, POST, DELETE)',
      );
    }
    const resolved = resolveCacheEvictOptions(this.options, label, metadata.options);
    const compile = (field: string, template: unknown) => {
      if (typeof template !== 'string') {
        throw new InvalidRedisCacheOptionsError(
          `${label}: ${field}`,
          'a key function receives method arguments, which a controller route only has after the interceptor ran',
          "use a request template such as 'cat:{params.id}'",
        );
      }
      try {
        const { credentialHeaders, credentialQueryParams } = this.options.http;
        return createRequestKeyFactory(template, {
          credentialHeaders,
          credentialQueryParams,
          missing: resolved.missingKeyValue,
        });
      } catch (error) {
        throw new InvalidRedisCacheOptionsError(
          `${label}: ${field}`,
          describeError(error).replace(/^TypeError: /, ''),
          'fix the @CacheEvict template',
        );
      }
    };
    const keys = resolved.keys.map((key) => compile('keys', key));
    const tags = resolved.tags.map((tag) => compile('tags', tag));
    return {
      label,
      namespace: resolved.namespace,
      keys: keys.map((key) => (source: RequestKeySource) => key.build(source)),
      tags: tags.map((tag) => (source: RequestKeySource) => tag.build(source)),
      all: resolved.all,
      beforeInvocation: resolved.beforeInvocation,
      paramNames: [...new Set([...keys, ...tags].flatMap((factory) => factory.paramNames))],
    };
  }
}

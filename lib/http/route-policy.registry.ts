import { Inject, Injectable } from '@nestjs/common';
import { getRouteReadThroughMetadata } from '../decorators/read-through.decorator.js';
import { InvalidRedisCacheOptionsError } from '../errors/invalid-redis-cache-options.error.js';
import { createRequestKeyFactory, type RequestKeyFactory } from '../keys/request-key.factory.js';
import { resolveBoolean, resolveStatuses } from '../options/redis-cache-options.resolver.js';
import type { ResolvedRedisCacheOptions } from '../options/resolved-redis-cache-options.interface.js';
import { createReadThroughPolicy, type ReadThroughPolicy } from '../read-through/read-through.policy.js';
import { ReadThroughExecutor } from '../read-through/read-through.executor.js';
import { RESOLVED_REDIS_CACHE_OPTIONS } from '../redis-cache.constants.js';
import { describeError } from '../utils/redact.util.js';

/** Everything `ReadThroughInterceptor` needs for one decorated route, compiled once. */
export interface RoutePolicy {
  readonly label: string;
  readonly policy: ReadThroughPolicy;
  readonly key: RequestKeyFactory;
  readonly statuses: ReadonlySet<number>;
  /** Cache requests with credentials although the key has no user part. */
  readonly shared: boolean;
  /** `Vary` value for the keyed headers, or undefined. */
  readonly vary: string | undefined;
  /** Headers hidden from the handler while it produces a response that will be stored. */
  readonly unkeyedHeaders: readonly string[];
}

/**
 * Compiles and remembers the {@link RoutePolicy} of each `@ReadThrough` route handler. The
 * explorer compiles every controller route at module init, so a malformed route key or option
 * fails bootstrap instead of the first request.
 */
@Injectable()
export class RoutePolicyRegistry {
  private readonly policies = new WeakMap<object, RoutePolicy | null>();

  constructor(
    private readonly executor: ReadThroughExecutor,
    @Inject(RESOLVED_REDIS_CACHE_OPTIONS) private readonly options: ResolvedRedisCacheOptions,
  ) {}

  /**
   * The policy of `handler` (a method of `controller`), or `undefined` when it has no
   * `@ReadThrough`. Compiled on first use and remembered.
   */
  get(handler: { readonly name: string }, controller: { readonly name: string }): RoutePolicy | undefined {
    let found = this.policies.get(handler);
    if (found === undefined) {
      found = this.compile(handler, controller, `${controller.name}.${handler.name}`);
      this.policies.set(handler, found);
    }
    return found ?? undefined;
  }

  private compile(handler: object, controller: object, label: string): RoutePolicy | null {
    // The route's own @ReadThrough, or its controller's class-level one for GET/HEAD routes.
    const metadata = getRouteReadThroughMetadata(handler, controller);
    if (!metadata) return null;
    const field = (name: string): string => `${label}: ${name}`;
    if (typeof metadata.key === 'function') {
      throw new InvalidRedisCacheOptionsError(
        field('key'),
        'a key function receives method arguments, which a controller route only has after the interceptor ran',
        "use a request template such as 'cat:{params.id}', or override ReadThroughInterceptor.buildKey()",
      );
    }
    let key: RequestKeyFactory;
    try {
      const { credentialHeaders, credentialQueryParams } = this.options.http;
      key = createRequestKeyFactory(metadata.key, { credentialHeaders, credentialQueryParams, missing: metadata.options.missingKeyValue });
    } catch (error) {
      throw new InvalidRedisCacheOptionsError(field('key'), describeError(error).replace(/^TypeError: /, ''), 'fix the @ReadThrough key');
    }
    const { options } = metadata;
    const http = this.options.http;
    return {
      label,
      policy: createReadThroughPolicy(this.options, label, metadata.ttl, options, this.executor.defaultCodec),
      key,
      statuses: new Set(options.statuses === undefined ? http.statuses : resolveStatuses(field('statuses'), options.statuses)),
      shared: options.shared === undefined ? false : resolveBoolean(field('shared'), options.shared),
      vary: key.headers.length > 0 ? key.headers.join(', ') : undefined,
      unkeyedHeaders: http.unkeyedHeaders.filter((name) => !key.headers.includes(name)),
    };
  }
}

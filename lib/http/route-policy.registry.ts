import { Inject, Injectable } from '@nestjs/common';
import { RESPONSE_PASSTHROUGH_METADATA, ROUTE_ARGS_METADATA } from '@nestjs/common/constants.js';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum.js';
import { getRouteReadThroughMetadata } from '../decorators/read-through.decorator.js';
import { InvalidRedisCacheOptionsError } from '../errors/invalid-redis-cache-options.error.js';
import { createRequestKeyFactory, type RequestKeyFactory } from './request-key.factory.js';
import { resolveStatuses } from '../options/http-option.resolver.js';
import { resolveBoolean } from '../options/option-checks.util.js';
import type { ResolvedRedisCacheOptions } from '../options/resolved-redis-cache-options.interface.js';
import { createReadThroughPolicy, type ReadThroughPolicy } from '../read-through/read-through.policy.js';
import { ReadThroughExecutor } from '../read-through/read-through.executor.js';
import { RESOLVED_REDIS_CACHE_OPTIONS } from '../redis-cache.constants.js';
import { CacheEntryCodec } from '../serializers/cache-entry.codec.js';
import { describeError } from '../utils/redact.util.js';
import { HttpEntrySerializer } from './http-entry.serializer.js';
import { parseHttpEntry, type ValidHttpEntry } from './http-cache.entry.js';
import { unkeyedHeadersOf, type UnkeyedHeaders } from './unkeyed-headers.js';

/** Everything `ReadThroughInterceptor` needs for one decorated route, compiled once. */
export interface RoutePolicy {
  readonly label: string;
  /** The route's options as written: `condition`, `unless` and `cacheNull` apply to the handler's value. */
  readonly policy: ReadThroughPolicy;
  /** The policy the executor stores the sent response under (its checks already made on the handler's value). */
  readonly storePolicy: ReadThroughPolicy;
  readonly key: RequestKeyFactory;
  /** The route's tag templates over the request, derived like its key. */
  readonly tags: readonly RequestKeyFactory[];
  readonly statuses: ReadonlySet<number>;
  /** Cache requests with credentials although the key has no user part. */
  readonly shared: boolean;
  /** `Vary` value for the keyed headers, or undefined. */
  readonly vary: string | undefined;
  /** Headers hidden from the handler while it produces a response that will be stored. */
  readonly unkeyed: UnkeyedHeaders;
  /** Cache GET/HEAD requests that carry a body (by default they bypass: the key does not read it). */
  readonly allowRequestBody: boolean;
  /** The executor's shape check of a stored value: a valid entry of one of this route's statuses, else `undefined`. */
  readonly acceptEntry: (value: unknown) => ValidHttpEntry | undefined;
}

/**
 * Compiles and remembers the {@link RoutePolicy} of each `@ReadThrough` route handler. The
 * explorer compiles every controller route at module init, so a malformed route key or option
 * fails bootstrap instead of the first request.
 */
@Injectable()
export class RoutePolicyRegistry {
  private readonly policies = new WeakMap<object, RoutePolicy | null>();
  /** Route entries are responses: always in the HTTP entry form, whatever the module's serializer; compressed as the module says. */
  private readonly entryCodec: CacheEntryCodec;

  constructor(
    private readonly executor: ReadThroughExecutor,
    @Inject(RESOLVED_REDIS_CACHE_OPTIONS) private readonly options: ResolvedRedisCacheOptions,
  ) {
    this.entryCodec = new CacheEntryCodec(new HttpEntrySerializer(), options.maxValueBytes, options.compression);
  }

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

  private compileKey(field: string, template: string | undefined, missing: 'bypass' | 'empty' | undefined) {
    return compileRequestTemplate(this.options, field, template, missing);
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
    const key = this.compileKey(field('key'), metadata.key, metadata.options.missingKeyValue);
    if (handlesResponseItself(controller, (handler as { name: string }).name)) {
      throw new InvalidRedisCacheOptionsError(
        label,
        'the route writes its response itself through @Res() (without passthrough), so a hit could not be answered with the bytes the miss sent',
        'use @Res({ passthrough: true }) and return the body, or remove @ReadThrough from this route',
      );
    }
    const { options } = metadata;
    const http = this.options.http;
    if (options.timeout !== undefined) {
      throw new InvalidRedisCacheOptionsError(
        field('timeout'),
        'a route answers its request itself, so the cache cannot answer it early with a stale value or an error',
        "remove timeout from the route (bound the handler's own calls, or use the platform's request timeout)",
      );
    }
    const policy = createReadThroughPolicy(this.options, label, metadata.ttl, options, this.executor.defaultCodec);
    const tags = (options.tags ?? []).map((tag) => this.compileKey(field('tags'), tag, options.missingKeyValue));
    const statuses = new Set(
      options.statuses === undefined ? http.statuses : resolveStatuses(field('statuses'), options.statuses),
    );
    return {
      label,
      policy,
      // The stored value is the response as sent; condition/unless/cacheNull were asked of the handler's value.
      storePolicy: {
        ...policy,
        // A route's own compression setting (resolved into its policy's codec) needs an entry codec of its own.
        codec:
          options.compression === undefined
            ? this.entryCodec
            : new CacheEntryCodec(new HttpEntrySerializer(), this.options.maxValueBytes, policy.codec.compression),
        condition: undefined,
        unless: undefined,
        cacheNull: true,
        ttlOf: undefined,
        negativeTtlMs: undefined,
      },
      key,
      tags,
      statuses,
      shared: options.shared === undefined ? false : resolveBoolean(field('shared'), options.shared),
      vary: key.headers.length > 0 ? key.headers.join(', ') : undefined,
      unkeyed: unkeyedHeadersOf(http.unkeyedHeaders, key.headers),
      allowRequestBody:
        options.allowRequestBody === undefined
          ? false
          : resolveBoolean(field('allowRequestBody'), options.allowRequestBody),
      // One function per route: a hit allocates no closure for it.
      acceptEntry: (value) => parseHttpEntry(value, statuses),
    };
  }
}

/** Compiles a route key or tag template (the same derivation for both), naming `field` in a bootstrap error. */
function compileRequestTemplate(
  options: ResolvedRedisCacheOptions,
  field: string,
  template: string | undefined,
  missing: 'bypass' | 'empty' | undefined,
): RequestKeyFactory {
  try {
    const { credentialHeaders, credentialQueryParams } = options.http;
    return createRequestKeyFactory(template, { credentialHeaders, credentialQueryParams, missing });
  } catch (error) {
    throw new InvalidRedisCacheOptionsError(
      field,
      describeError(error).replace(/^TypeError: /, ''),
      'fix the template',
    );
  }
}

/** Whether the handler takes the platform response (`@Res()`, `@Next()`) without passthrough: Nest then sends nothing. */
function handlesResponseItself(controller: object, methodName: string): boolean {
  const args = Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, methodName) as Record<string, unknown> | undefined;
  if (!args) return false;
  const takesResponse = Object.keys(args).some((key) => {
    const type = Number(key.split(':')[0]);
    return type === RouteParamtypes.RESPONSE || type === RouteParamtypes.NEXT;
  });
  return takesResponse && Reflect.getMetadata(RESPONSE_PASSTHROUGH_METADATA, controller, methodName) !== true;
}

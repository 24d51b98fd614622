import { KeyShapeClaims } from './key-shape.claims.js';
import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, ModuleRef } from '@nestjs/core';
import type { InstanceWrapper } from '@nestjs/core/injector/instance-wrapper.js';
import { CACHE_EVICT_BINDINGS, getCacheEvictMetadata } from '../decorators/cache-evict.decorator.js';
import { CACHE_PUT_BINDINGS, getCachePutMetadata } from '../decorators/cache-put.decorator.js';
import { attachBinding, hasBinding } from '../decorators/cache-write.wrapper.js';
import { getReadThroughClassMetadata, getReadThroughMetadata } from '../decorators/read-through.decorator.js';
import { InvalidRedisCacheOptionsError } from '../errors/invalid-redis-cache-options.error.js';
import type { ResolvedRedisCacheOptions } from '../options/resolved-redis-cache-options.interface.js';
import { RouteEvictionRegistry } from '../http/route-eviction.js';
import { RoutePolicyRegistry } from '../http/route-policy.registry.js';
import { ReadThroughExecutor } from '../read-through/read-through.executor.js';
import { LOGGER_CONTEXT, READ_THROUGH_BINDINGS, RESOLVED_REDIS_CACHE_OPTIONS } from '../redis-cache.constants.js';
import { ThrottledLogger } from '../utils/throttled-logger.util.js';
import { bindCacheEvict } from './cache-evict.binder.js';
import { CacheEvictor } from './cache.evictor.js';
import { bindCachePut } from './cache-put.binder.js';
import type { MethodBinderContext } from './method-binder.context.js';
import { methodShape } from './method-templates.js';
import { providerIdentity } from './provider-identity.util.js';
import { bindReadThrough } from './read-through.binder.js';
import { ReadThroughRegistry } from './read-through.registry.js';
import { RouteCompiler } from './route.compiler.js';

type Methods = Record<string, unknown>;

/** Which of the cache decorators a method carries. */
interface Decorated {
  readonly name: string;
  readonly readThrough: ReturnType<typeof getReadThroughMetadata>;
  readonly put: ReturnType<typeof getCachePutMetadata>;
  readonly evict: ReturnType<typeof getCacheEvictMetadata>;
}

/**
 * Finds `@ReadThrough`, `@CachePut` and `@CacheEvict` methods on this application's providers
 * at module init and binds each instance's method to this application's cache. Controllers are
 * left to `ReadThroughInterceptor`, so a route is never cached twice; their keys are compiled
 * at init all the same ({@link RouteCompiler}). Everything is validated here: a malformed key or option fails bootstrap
 * with `InvalidRedisCacheOptionsError`.
 */
@Injectable()
export class ReadThroughExplorer implements OnModuleInit {
  private readonly logger = new Logger(LOGGER_CONTEXT);
  private readonly context: MethodBinderContext;
  /** Who owns each default-key label (per namespace), so two providers never share one. */
  private readonly labelOwners = new Map<string, { owner: object; token: string }>();
  private readonly keyShapes = new KeyShapeClaims();

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    executor: ReadThroughExecutor,
    private readonly routes: RoutePolicyRegistry,
    private readonly evictions: RouteEvictionRegistry,
    registry: ReadThroughRegistry,
    evictor: CacheEvictor,
    @Inject(RESOLVED_REDIS_CACHE_OPTIONS) options: ResolvedRedisCacheOptions,
    private readonly moduleRef: ModuleRef,
  ) {
    const warnings = new ThrottledLogger(this.logger);
    this.context = { options, executor, registry, evictor, logger: this.logger, warnings };
  }

  /** @internal Nest lifecycle hook. */
  onModuleInit(): void {
    this.bindProviders();
    const { discovery, scanner, routes, evictions, moduleRef, keyShapes, logger } = this;
    new RouteCompiler(discovery, scanner, routes, evictions, moduleRef, keyShapes, logger).compile();
  }

  private bindProviders(): void {
    for (const wrapper of this.discovery.getProviders()) {
      const instance: unknown = wrapper.instance;
      // An alias (useExisting) shares its target's instance, which is listed (and bound) itself.
      if (!instance || typeof instance !== 'object' || wrapper.isAlias) continue;
      const prototype = Object.getPrototypeOf(instance) as Methods | null;
      if (!prototype) continue;
      if (getReadThroughClassMetadata(instance.constructor)) {
        // The class form means "every GET/HEAD route"; a provider has none, so it would cache nothing.
        throw new InvalidRedisCacheOptionsError(
          String(instance.constructor.name),
          '@ReadThrough on a provider class caches nothing (on a controller class it caches every GET/HEAD route)',
          "put @ReadThrough on the provider's async methods",
        );
      }
      const methods = this.decoratedMethods(prototype);
      if (methods.length === 0) continue;
      const className = instance.constructor?.name ?? String(wrapper.name);
      if (!wrapper.isDependencyTreeStatic()) {
        const names = methods.map((method) => method.name).join(', ');
        this.logger.warn(
          `${className} is request-scoped or transient: its cache-decorated methods (${names}) run uncached. Use RedisCacheService.wrap() inside them instead.`,
        );
        this.context.registry.refuse(
          instance.constructor,
          'the provider is request-scoped or transient, so its @ReadThrough methods run uncached and hold no entry',
        );
        continue;
      }
      for (const method of methods) this.bindMethod(wrapper, instance, prototype, method);
    }
  }

  private decoratedMethods(prototype: Methods): Decorated[] {
    const found: Decorated[] = [];
    for (const name of this.scanner.getAllMethodNames(prototype)) {
      const fn = prototype[name];
      const decorated = {
        name,
        readThrough: getReadThroughMetadata(fn),
        put: getCachePutMetadata(fn),
        evict: getCacheEvictMetadata(fn),
      };
      if (decorated.readThrough || decorated.put || decorated.evict) found.push(decorated);
    }
    return found;
  }

  private bindMethod(wrapper: InstanceWrapper, instance: object, prototype: Methods, method: Decorated): void {
    const { name, readThrough, put, evict } = method;
    const identity = providerIdentity(wrapper, instance);
    const label = `${identity.label}.${name}`;
    if (readThrough && (put || evict)) {
      throw new InvalidRedisCacheOptionsError(
        label,
        `@ReadThrough and @${put ? 'CachePut' : 'CacheEvict'} on one method: a read that is served from the cache cannot also write or evict on every call`,
        'put @CachePut / @CacheEvict on the method that changes the data, and @ReadThrough on the one that reads it',
      );
    }
    const type = instance.constructor;
    if (readThrough && !hasBinding(instance, READ_THROUGH_BINDINGS, name)) {
      const shape = methodShape(label, readThrough.method, prototype, name);
      const { binding, policy } = bindReadThrough(this.context, shape, readThrough, type, instance, name);
      if (readThrough.key === undefined) this.claimLabel(label, policy.namespace, identity.owner, String(wrapper.name));
      this.keyShapes.claim('method', label, policy.namespace, readThrough.key);
      attachBinding(instance, READ_THROUGH_BINDINGS, name, binding);
    }
    // Each decorator's metadata names the function it wraps, so stacked @CachePut and @CacheEvict compose.
    if (put && !hasBinding(instance, CACHE_PUT_BINDINGS, name)) {
      const shape = methodShape(label, put.method, prototype, name);
      attachBinding(instance, CACHE_PUT_BINDINGS, name, bindCachePut(this.context, shape, put));
    }
    if (evict && !hasBinding(instance, CACHE_EVICT_BINDINGS, name)) {
      const shape = methodShape(label, evict.method, prototype, name);
      attachBinding(instance, CACHE_EVICT_BINDINGS, name, bindCacheEvict(this.context, shape, evict));
    }
  }

  /** Fails bootstrap when two different providers would write default keys under one label. */
  private claimLabel(label: string, namespace: string, owner: object, token: string): void {
    const slot = `${namespace}\u0000${label}`;
    const claimed = this.labelOwners.get(slot);
    if (!claimed) {
      this.labelOwners.set(slot, { owner, token });
      return;
    }
    if (claimed.owner === owner) return;
    throw new InvalidRedisCacheOptionsError(
      `${label}: key`,
      `two different providers (${claimed.token} and ${token}) would share the default key "${label}:<arguments>" in namespace "${namespace}", and so each other's entries`,
      'register them under different injection tokens, or give the method an explicit key or a namespace of its own',
    );
  }
}

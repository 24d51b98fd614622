import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import type { InstanceWrapper } from '@nestjs/core/injector/instance-wrapper.js';
import {
  getReadThroughClassMetadata,
  getReadThroughMetadata,
  type ReadThroughBinding,
} from '../decorators/read-through.decorator.js';
import { InvalidRedisCacheOptionsError } from '../errors/invalid-redis-cache-options.error.js';
import { CacheKeyBuilder } from '../keys/cache-key.builder.js';
import { declaredParameterCount } from '../keys/method-arity.util.js';
import { createMethodKeyFactory, type MethodKeyFactory } from '../keys/method-key.factory.js';
import type { ResolvedRedisCacheOptions } from '../options/resolved-redis-cache-options.interface.js';
import { RoutePolicyRegistry } from '../http/route-policy.registry.js';
import { createReadThroughPolicy } from '../read-through/read-through.policy.js';
import { ReadThroughExecutor, type ReadThroughOutcome } from '../read-through/read-through.executor.js';
import { LOGGER_CONTEXT, READ_THROUGH_BINDINGS, RESOLVED_REDIS_CACHE_OPTIONS } from '../redis-cache.constants.js';
import { describeError } from '../utils/redact.util.js';
import { ThrottledLogger } from '../utils/throttled-logger.util.js';
import { providerIdentity } from './provider-identity.util.js';
import { declaredRouteParams } from './route-params.util.js';

type BindingHost = { [READ_THROUGH_BINDINGS]?: Map<string | symbol, ReadThroughBinding> };
type Methods = Record<string, unknown>;

/**
 * Finds `@ReadThrough` methods on this application's providers at module init and binds each
 * instance's method to this application's executor. Controllers are left to
 * `ReadThroughInterceptor`, so a route is never cached twice. Everything is validated here:
 * a malformed key or option fails bootstrap with `InvalidRedisCacheOptionsError`.
 */
@Injectable()
export class ReadThroughExplorer implements OnModuleInit {
  private readonly logger = new Logger(LOGGER_CONTEXT);
  private readonly warnings = new ThrottledLogger(this.logger);
  private readonly keys: CacheKeyBuilder;
  /** Who owns each default-key label (per namespace), so two providers never share one. */
  private readonly labelOwners = new Map<string, { owner: object; token: string }>();

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly executor: ReadThroughExecutor,
    private readonly routes: RoutePolicyRegistry,
    @Inject(RESOLVED_REDIS_CACHE_OPTIONS) private readonly options: ResolvedRedisCacheOptions,
  ) {
    this.keys = new CacheKeyBuilder(options.prefix);
  }

  /** @internal Nest lifecycle hook. */
  onModuleInit(): void {
    this.bindProviders();
    this.compileRoutes();
  }

  /** Compiles every controller route's policy now, so a bad route key fails bootstrap. */
  private compileRoutes(): void {
    for (const wrapper of this.discovery.getControllers()) {
      const instance: unknown = wrapper.instance;
      if (!instance || typeof instance !== 'object') continue;
      const prototype = Object.getPrototypeOf(instance) as Methods | null;
      if (!prototype) continue;
      for (const name of this.scanner.getAllMethodNames(prototype)) {
        const handler = prototype[name];
        if (typeof handler !== 'function') continue;
        const route = this.routes.get(handler, instance.constructor);
        if (route)
          this.checkRouteParams(
            route.label,
            route.key.paramNames,
            handler,
            instance.constructor,
            wrapper.host?.metatype,
          );
      }
    }
  }

  private checkRouteParams(
    label: string,
    named: readonly string[],
    handler: object,
    controller: object,
    module: object | undefined,
  ): void {
    if (named.length === 0) return;
    const declared = declaredRouteParams(handler, controller, module);
    const unknown = named.find((name) => !declared.has(name));
    if (unknown === undefined) return;
    const known =
      declared.size > 0
        ? `the route declares ${[...declared].map((n) => `:${n}`).join(', ')}`
        : 'the route path declares no parameters';
    throw new InvalidRedisCacheOptionsError(
      `${label}: key`,
      `placeholder "{params.${unknown}}" names no route parameter (${known}), so it would read nothing for every request`,
      'fix the placeholder to a declared :param, or use {query.x} for query parameters',
    );
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
      const methods = this.scanner
        .getAllMethodNames(prototype)
        .filter((name) => getReadThroughMetadata(prototype[name]) !== undefined);
      if (methods.length === 0) continue;
      const className = instance.constructor?.name ?? String(wrapper.name);
      if (!wrapper.isDependencyTreeStatic()) {
        this.logger.warn(
          `${className} is request-scoped or transient: its @ReadThrough methods (${methods.join(', ')}) run uncached. Use RedisCacheService.wrap() inside them instead.`,
        );
        continue;
      }
      const host = instance as BindingHost;
      // Already bound by this app (a provider can be listed by more than one module).
      if (host[READ_THROUGH_BINDINGS]?.has(methods[0])) continue;
      const bindings = host[READ_THROUGH_BINDINGS] ?? new Map<string | symbol, ReadThroughBinding>();
      for (const name of methods) bindings.set(name, this.bind(wrapper, instance, prototype, name));
      Object.defineProperty(host, READ_THROUGH_BINDINGS, { value: bindings, configurable: true, enumerable: false });
    }
  }

  private bind(wrapper: InstanceWrapper, instance: object, prototype: Methods, methodName: string): ReadThroughBinding {
    const metadata = getReadThroughMetadata(prototype[methodName])!;
    const identity = providerIdentity(wrapper, instance);
    const label = `${identity.label}.${methodName}`;
    const policy = createReadThroughPolicy(
      this.options,
      label,
      metadata.ttl,
      metadata.options,
      this.executor.defaultCodec,
    );
    if (metadata.key === undefined) this.claimLabel(label, policy.namespace, identity.owner, String(wrapper.name));
    const keyOf = this.compileKey(label, metadata, prototype, methodName);
    const { method } = metadata;
    const executor = this.executor;
    const keys = this.keys;
    return (target, args) => {
      let key: string;
      try {
        key = keys.build(policy.namespace, keyOf(args));
      } catch (error) {
        // A key that cannot be built (a placeholder that read nothing, a cyclic argument, a
        // throwing key function) costs caching, never the call.
        this.warnings.warn(
          `key:${label}`,
          `${label}: could not build the cache key, running uncached: ${describeError(error)}`,
        );
        return Promise.resolve().then(() => method.apply(target, args));
      }
      return executor.run(key, policy, { load: () => method.apply(target, args) }).then(valueOf);
    };
  }

  private compileKey(
    label: string,
    metadata: NonNullable<ReturnType<typeof getReadThroughMetadata>>,
    prototype: Methods,
    methodName: string,
  ): MethodKeyFactory {
    const missing = metadata.options.missingKeyValue;
    const paramTypes = Reflect.getMetadata('design:paramtypes', prototype, methodName) as unknown[] | undefined;
    try {
      return createMethodKeyFactory(metadata.key, label, {
        parameterCount: declaredParameterCount(metadata.method, paramTypes),
        missing,
      });
    } catch (error) {
      throw new InvalidRedisCacheOptionsError(
        `${label}: key`,
        describeError(error).replace(/^TypeError: /, ''),
        'fix the @ReadThrough key',
      );
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

function valueOf<T>(outcome: ReadThroughOutcome<T>): T {
  return outcome.value;
}

import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { getReadThroughMetadata, type ReadThroughBinding } from '../decorators/read-through.decorator.js';
import { InvalidRedisCacheOptionsError } from '../errors/invalid-redis-cache-options.error.js';
import { CacheKeyBuilder } from '../keys/cache-key.builder.js';
import { createMethodKeyFactory } from '../keys/method-key.factory.js';
import type { ResolvedRedisCacheOptions } from '../options/resolved-redis-cache-options.interface.js';
import { RoutePolicyRegistry } from '../interceptors/route-policy.registry.js';
import { createReadThroughPolicy } from '../read-through/read-through.policy.js';
import { ReadThroughExecutor } from '../read-through/read-through.executor.js';
import { LOGGER_CONTEXT, READ_THROUGH_BINDINGS, RESOLVED_REDIS_CACHE_OPTIONS } from '../redis-cache.constants.js';
import { describeError } from '../utils/redact.util.js';
import { ThrottledLogger } from '../utils/throttled-logger.util.js';

type BindingHost = { [READ_THROUGH_BINDINGS]?: Map<string | symbol, ReadThroughBinding> };

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
      const prototype = Object.getPrototypeOf(instance) as Record<string, unknown> | null;
      if (!prototype) continue;
      for (const name of this.scanner.getAllMethodNames(prototype)) {
        const handler = prototype[name];
        if (typeof handler === 'function') this.routes.get(handler, instance.constructor);
      }
    }
  }

  private bindProviders(): void {
    for (const wrapper of this.discovery.getProviders()) {
      const instance: unknown = wrapper.instance;
      if (!instance || typeof instance !== 'object') continue;
      const prototype: object | null = Object.getPrototypeOf(instance);
      if (!prototype) continue;
      const methods = this.scanner
        .getAllMethodNames(prototype)
        .filter((name) => getReadThroughMetadata((prototype as Record<string, unknown>)[name]) !== undefined);
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
      for (const name of methods) bindings.set(name, this.bind(className, name, (prototype as Record<string, unknown>)[name]));
      Object.defineProperty(host, READ_THROUGH_BINDINGS, { value: bindings, configurable: true, enumerable: false });
    }
  }

  private bind(className: string, methodName: string, decorated: unknown): ReadThroughBinding {
    const metadata = getReadThroughMetadata(decorated)!;
    const label = `${className}.${methodName}`;
    let keyOf;
    try {
      keyOf = createMethodKeyFactory(metadata.key, label);
    } catch (error) {
      throw new InvalidRedisCacheOptionsError(`${label}: key`, describeError(error).replace(/^TypeError: /, ''), 'fix the @ReadThrough key');
    }
    const policy = createReadThroughPolicy(this.options, label, metadata.ttl, metadata.options, this.executor.defaultCodec);
    const { method } = metadata;
    const executor = this.executor;
    const keys = this.keys;
    return (instance, args) => {
      let key: string;
      try {
        key = keys.build(policy.namespace, keyOf(args));
      } catch (error) {
        // A key that cannot be built (cyclic argument, throwing key function) costs caching, never the call.
        this.warnings.warn(`key:${label}`, `${label}: could not build the cache key, running uncached: ${describeError(error)}`);
        return Promise.resolve().then(() => method.apply(instance, args));
      }
      return executor.run(key, policy, () => method.apply(instance, args));
    };
  }
}

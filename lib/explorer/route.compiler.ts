import type { Logger } from '@nestjs/common';
import type { DiscoveryService, MetadataScanner, ModuleRef } from '@nestjs/core';
import { getCachePutMetadata } from '../decorators/cache-put.decorator.js';
import { getRouteReadThroughMetadata } from '../decorators/read-through.decorator.js';
import { InvalidRedisCacheOptionsError } from '../errors/invalid-redis-cache-options.error.js';
import type { RouteEvictionRegistry } from '../http/route-eviction.js';
import type { RoutePolicyRegistry } from '../http/route-policy.registry.js';
import type { KeyShapeClaims } from './key-shape.claims.js';
import { RouteInterceptorCheck } from './route-interceptor.check.js';
import { declaredRouteParams } from './route-params.util.js';

type Methods = Record<string, unknown>;

/**
 * The controller half of the explorer: routes are cached by `ReadThroughInterceptor`, not bound
 * here, but their keys and evictions are compiled at init all the same, so a bad route key or a
 * placeholder naming no route parameter fails bootstrap instead of the first request.
 */
export class RouteCompiler {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly routes: RoutePolicyRegistry,
    private readonly evictions: RouteEvictionRegistry,
    private readonly moduleRef: ModuleRef,
    private readonly keyShapes: KeyShapeClaims,
    private readonly logger: Logger,
  ) {}

  /**
   * Compiles every controller route's policy and eviction now, so a bad route key fails
   * bootstrap, and warns about decorated routes that `ReadThroughInterceptor` does not reach.
   */
  compile(): void {
    // Read at init, not construction: global interceptors are registered in between.
    const interceptors = new RouteInterceptorCheck(this.moduleRef);
    for (const wrapper of this.discovery.getControllers()) {
      const instance: unknown = wrapper.instance;
      if (!instance || typeof instance !== 'object') continue;
      const prototype = Object.getPrototypeOf(instance) as Methods | null;
      if (!prototype) continue;
      const controller = instance.constructor;
      for (const name of this.scanner.getAllMethodNames(prototype)) {
        const handler = prototype[name];
        if (typeof handler !== 'function') continue;
        const label = `${controller.name}.${name}`;
        if (getCachePutMetadata(handler)) {
          throw new InvalidRedisCacheOptionsError(
            label,
            "@CachePut on a controller route: a route's cached entry is the GET response as sent, which a write route's value is not",
            'put @CacheEvict on the write route (the next GET stores the new response), or @CachePut on the service method it calls',
          );
        }
        const module = wrapper.host?.metatype;
        const route = this.routes.get(handler, controller);
        if (route) {
          this.checkRouteParams(label, 'key', route.key.paramNames, handler, controller, module);
          this.keyShapes.claim(
            'route',
            label,
            route.policy.namespace,
            getRouteReadThroughMetadata(handler, controller)?.key,
          );
        }
        const eviction = this.evictions.get(handler, controller);
        if (eviction) this.checkRouteParams(label, 'keys', eviction.paramNames, handler, controller, module);
        interceptors.warnIfUnbound(this.logger, label, handler, controller, { route, eviction });
      }
    }
  }

  private checkRouteParams(
    label: string,
    field: string,
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
      `${label}: ${field}`,
      `placeholder "{params.${unknown}}" names no route parameter (${known}), so it would read nothing for every request`,
      'fix the placeholder to a declared :param, or use {query.x} for query parameters',
    );
  }
}

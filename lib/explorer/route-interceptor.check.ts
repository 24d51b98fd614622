import { INTERCEPTORS_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import type { Logger } from '@nestjs/common';
import type { ModuleRef } from '@nestjs/core';
import { ReadThroughInterceptor } from '../http/read-through.interceptor.js';

/** The part of Nest's application config this check reads. */
interface GlobalInterceptorSource {
  getGlobalInterceptors(): readonly unknown[];
  getGlobalRequestInterceptors(): readonly { readonly metatype?: unknown }[];
}

/**
 * Tells whether `ReadThroughInterceptor` (or a subclass) runs for a controller route: bound with
 * `@UseInterceptors` on the route or its controller, or globally (`APP_INTERCEPTOR`,
 * `app.useGlobalInterceptors()`). Without it a route's `@ReadThrough` caches nothing and its
 * `@CacheEvict` evicts nothing, silently; the explorer warns about such routes at bootstrap.
 */
export class RouteInterceptorCheck {
  private readonly globallyBound: boolean | undefined;

  /**
   * @param moduleRef any module reference of the application: its container holds the global
   *   interceptors. When that (Nest-internal) path is missing, global bindings cannot be seen and
   *   {@link isBound} answers `undefined` for routes without a binding of their own.
   */
  constructor(moduleRef: ModuleRef) {
    const globals = globalInterceptorsOf(moduleRef);
    this.globallyBound = globals && globals.some(isReadThroughInterceptor);
  }

  /**
   * Logs a warning for an HTTP route with `@ReadThrough` (`route`) or `@CacheEvict`
   * (`eviction`) that the interceptor certainly does not reach. Not an error: an interceptor
   * bound after init, or one of the app's own that delegates, cannot be seen from here.
   */
  warnIfUnbound(
    logger: Pick<Logger, 'warn'>,
    label: string,
    handler: object,
    controller: object,
    decorated: { readonly route?: unknown; readonly eviction?: unknown },
  ): void {
    if (!(decorated.route || decorated.eviction) || !isHttpRoute(handler)) return;
    if (this.isBound(handler, controller) !== false) return;
    const what = decorated.route
      ? '@ReadThrough needs ReadThroughInterceptor to cache this route, and nothing is cached'
      : '@CacheEvict needs ReadThroughInterceptor to evict on this route, and nothing is evicted: readers keep the old entry';
    logger.warn(
      `${label}: ${what}. The interceptor is bound neither to the route, its controller nor globally: add @UseInterceptors(ReadThroughInterceptor) to the controller, or provide it as APP_INTERCEPTOR`,
    );
  }

  /** `true` when bound, `false` when certainly not, `undefined` when it cannot be told. */
  isBound(handler: object, controller: object): boolean | undefined {
    if (bindsOurs(handler) || bindsOurs(controller) || this.globallyBound) return true;
    return this.globallyBound === undefined ? undefined : false;
  }
}

/** Whether `handler` is an HTTP route (a method carrying `@Get()`, `@Put()`, ...). */
function isHttpRoute(handler: object): boolean {
  return Reflect.getMetadata(PATH_METADATA, handler) !== undefined;
}

function bindsOurs(target: object): boolean {
  const bound = Reflect.getMetadata(INTERCEPTORS_METADATA, target) as readonly unknown[] | undefined;
  return Array.isArray(bound) && bound.some(isReadThroughInterceptor);
}

/** A class or an instance of `ReadThroughInterceptor` or of a subclass. */
function isReadThroughInterceptor(candidate: unknown): boolean {
  if (typeof candidate === 'function') {
    return candidate === ReadThroughInterceptor || candidate.prototype instanceof ReadThroughInterceptor;
  }
  return candidate instanceof ReadThroughInterceptor;
}

/** Instances and classes of the application's global interceptors, or `undefined` when unreadable. */
function globalInterceptorsOf(moduleRef: ModuleRef): unknown[] | undefined {
  const config = (moduleRef as unknown as { container?: { applicationConfig?: Partial<GlobalInterceptorSource> } })
    .container?.applicationConfig;
  if (typeof config?.getGlobalInterceptors !== 'function' || typeof config.getGlobalRequestInterceptors !== 'function')
    return undefined;
  return [...config.getGlobalInterceptors(), ...config.getGlobalRequestInterceptors().map((w) => w.metatype)];
}

import 'reflect-metadata';
import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA } from '@nestjs/common/constants.js';
import type { ReadThroughOptions, ReadThroughTtl } from '../interfaces/read-through-options.interface.js';
import { READ_THROUGH_BINDINGS, READ_THROUGH_CLASS_METADATA, READ_THROUGH_METADATA } from '../redis-cache.constants.js';

/**
 * A cache key: a template over the arguments (`'route:{0}'`, `'user:{0.id}:{1}'`; on controller
 * routes over the request: `'cat:{params.id}'`, `'{user.id}'`, `'{query.page}'`,
 * `'{headers.x-tenant}'`), or a function of the method's arguments.
 */
export type ReadThroughKey<A extends unknown[]> = string | ((...args: A) => string);

/** What `@ReadThrough` records on the method, read by the explorer and the interceptor. */
export interface ReadThroughMetadata {
  readonly key: ReadThroughKey<never[]> | undefined;
  readonly ttl: ReadThroughTtl<never> | undefined;
  readonly options: ReadThroughOptions<never>;
  /** The undecorated method. */
  readonly method: (...args: unknown[]) => unknown;
}

/** A bound read-through call for one method of one provider instance (set up by the explorer). */
export type ReadThroughBinding = (instance: object, args: unknown[]) => Promise<unknown>;

type Bindable = { [READ_THROUGH_BINDINGS]?: Map<string | symbol, ReadThroughBinding> };

/**
 * The one-argument form of `@ReadThrough`: `{ key?, ttl?, ...ReadThroughOptions }`, so
 * `@ReadThrough({ ttl: '10s' })` means "default key, this TTL".
 */
export interface ReadThroughDecoratorOptions<A extends unknown[] = any[], R = any> extends ReadThroughOptions<R> {
  /** Key template or function of the arguments; omitted: the default key. */
  key?: ReadThroughKey<A>;
}

/**
 * A key function fits a method when it accepts the method's arguments; like any TypeScript
 * callback it may ignore the trailing ones (`() => 'all'` fits `find(id: string)`).
 */
type KeyFitsMethod<A extends unknown[], M extends (...args: any[]) => unknown> = ((...args: A) => string) extends (
  ...args: Parameters<M>
) => string
  ? unknown
  : { readonly 'the key function does not accept the method arguments': never };

/** What `@ReadThrough(key, ...)` returns: a decorator of async methods typed by `A` and `R`. */
export interface ReadThroughMethodDecorator<A extends unknown[], R> {
  <M extends (...args: any[]) => Promise<R>>(
    target: object,
    propertyKey: string | symbol,
    descriptor: TypedPropertyDescriptor<M> & KeyFitsMethod<A, M>,
  ): TypedPropertyDescriptor<M>;
}

/**
 * What `@ReadThrough()` without a key returns: a method decorator, or a controller class
 * decorator meaning "every GET and HEAD route of this controller, each with its default key".
 */
export interface ReadThroughDecorator<A extends unknown[], R> extends ReadThroughMethodDecorator<A, R> {
  (target: abstract new (...args: any[]) => unknown): void;
}

/**
 * Makes an async method a read-through cached call: on a hit the method is not run; on a miss it
 * runs once (concurrent callers share that run) and its result is stored for `ttl`.
 *
 * - On a provider method the key comes from the arguments; omitted, it is
 *   `<Class>.<method>:<stable encoding of the arguments>`.
 * - On a controller route (with `ReadThroughInterceptor`) the key comes from the request;
 *   omitted, it is `<METHOD>:<path>?<sorted query>`.
 * - On a controller class, without a key: every GET and HEAD route of it, each with its default
 *   key (a route's own `@ReadThrough` wins). This is `@UseInterceptors(CacheInterceptor)` of
 *   `@nestjs/cache-manager` in one line. On a provider class it fails bootstrap: decorate the
 *   methods instead.
 *
 * The decorator only records metadata and installs a thin wrapper that keeps the method's name
 * and other decorators' metadata; the binding to the cache happens per instance at module init,
 * so an instance created outside Nest simply runs uncached.
 *
 * @param key template or function of the arguments (type-checked against the method), or an
 *   options object `{ key?, ttl?, ...options }`
 * @param ttl time to live: milliseconds or `'30s' | '5m' | '1h' | '1d'`, or a function of the result
 *   returning one (0 or less: not stored); default: module `ttl`
 * @param options per-method options: `namespace`, `tags`, `negativeTtl`, `timeout`, `serializer`,
 *   `cacheNull`, `condition`, `unless`, ...
 *
 * @example
 * @ReadThrough('route:{0}', '10m')
 * async optimize(coordinates: string): Promise<Route> { ... }
 *
 * @example
 * @ReadThrough({ ttl: '10s' }) // default key, 10 seconds
 * async rates(currency: string): Promise<Rates> { ... }
 *
 * @example
 * @Controller('cats')
 * @UseInterceptors(ReadThroughInterceptor)
 * @ReadThrough({ ttl: '1m' }) // every GET/HEAD route of CatsController
 * export class CatsController { ... }
 */
export function ReadThrough<A extends unknown[] = any[], R = any>(
  options: ReadThroughDecoratorOptions<A, Awaited<R>>,
): ReadThroughDecorator<A, R>;
export function ReadThrough<A extends unknown[] = any[], R = any>(
  key?: undefined,
  ttl?: ReadThroughTtl<Awaited<R>>,
  options?: ReadThroughOptions<Awaited<R>>,
): ReadThroughDecorator<A, R>;
export function ReadThrough<A extends unknown[] = any[], R = any>(
  key: ReadThroughKey<A>,
  ttl?: ReadThroughTtl<Awaited<R>>,
  options?: ReadThroughOptions<Awaited<R>>,
): ReadThroughMethodDecorator<A, R>;
export function ReadThrough(
  keyOrOptions?: ReadThroughKey<any[]> | ReadThroughDecoratorOptions,
  ttl?: ReadThroughTtl<any>,
  options?: ReadThroughOptions<any>,
): ReadThroughDecorator<any[], any> {
  const recorded = normalize(keyOrOptions, ttl, options);
  return ((target: object, propertyKey?: string | symbol, descriptor?: TypedPropertyDescriptor<unknown>) => {
    if (propertyKey === undefined) return decorateClass(target, recorded);
    const method = descriptor?.value as ((...args: unknown[]) => unknown) | undefined;
    if (typeof method !== 'function') {
      throw new TypeError(`@ReadThrough can only decorate methods (${describeTarget(target, propertyKey)})`);
    }
    function readThrough(this: Bindable, ...args: unknown[]): unknown {
      const binding = this?.[READ_THROUGH_BINDINGS]?.get(propertyKey!);
      return binding ? binding(this, args) : method!.apply(this, args);
    }
    copyMetadata(method, readThrough);
    Object.defineProperty(readThrough, 'name', { value: method.name, configurable: true });
    const metadata: ReadThroughMetadata = { ...recorded, method };
    Reflect.defineMetadata(READ_THROUGH_METADATA, metadata, readThrough);
    descriptor!.value = readThrough;
    return descriptor;
  }) as ReadThroughDecorator<any[], any>;
}

/** What `@ReadThrough` on a controller class recorded: the options of its GET/HEAD routes. */
export type ReadThroughClassMetadata = Omit<ReadThroughMetadata, 'method' | 'key'> & { readonly key: undefined };

// Both call forms record the same three fields; the options form keeps its ttl inside options.
function normalize(
  keyOrOptions: ReadThroughKey<any[]> | ReadThroughDecoratorOptions | undefined,
  ttl: ReadThroughTtl<any> | undefined,
  options: ReadThroughOptions<any> | undefined,
): Omit<ReadThroughMetadata, 'method'> {
  if (typeof keyOrOptions === 'object' && keyOrOptions !== null) {
    const { key, ...rest } = keyOrOptions;
    return {
      key: key as ReadThroughKey<never[]> | undefined,
      ttl: undefined,
      options: rest as ReadThroughOptions<never>,
    };
  }
  return {
    key: keyOrOptions as ReadThroughKey<never[]> | undefined,
    ttl,
    options: (options ?? {}) as ReadThroughOptions<never>,
  };
}

function decorateClass(target: object, recorded: Omit<ReadThroughMetadata, 'method'>): void {
  if (typeof target !== 'function') throw new TypeError('@ReadThrough can only decorate methods and classes');
  // One key for every route would give all of them one entry: keys belong on the routes.
  if (recorded.key !== undefined) {
    throw new TypeError(
      `@ReadThrough on the class ${target.name} takes no key: each route gets its default key (put keyed @ReadThrough on the routes)`,
    );
  }
  Reflect.defineMetadata(READ_THROUGH_CLASS_METADATA, recorded, target);
}

/** Reads what `@ReadThrough` recorded on a class, or `undefined`. */
export function getReadThroughClassMetadata(type: unknown): ReadThroughClassMetadata | undefined {
  if (typeof type !== 'function') return undefined;
  return Reflect.getMetadata(READ_THROUGH_CLASS_METADATA, type) as ReadThroughClassMetadata | undefined;
}

/**
 * The read-through settings of a controller route: its own `@ReadThrough`, else its
 * controller's class-level one when the route is a GET or HEAD route, else `undefined`.
 */
export function getRouteReadThroughMetadata(
  handler: object,
  controller: object,
): Omit<ReadThroughMetadata, 'method'> | undefined {
  const own = getReadThroughMetadata(handler);
  if (own) return own;
  const defaults = getReadThroughClassMetadata(controller);
  if (!defaults) return undefined;
  const verb = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
  return verb === RequestMethod.GET || verb === RequestMethod.HEAD ? defaults : undefined;
}

/** Reads what `@ReadThrough` recorded on a method, or `undefined`. */
export function getReadThroughMetadata(method: unknown): ReadThroughMetadata | undefined {
  if (typeof method !== 'function') return undefined;
  return Reflect.getMetadata(READ_THROUGH_METADATA, method) as ReadThroughMetadata | undefined;
}

// Other decorators (route, guards, Swagger...) may already have put metadata on the function.
function copyMetadata(from: object, to: object): void {
  for (const metadataKey of Reflect.getOwnMetadataKeys(from)) {
    Reflect.defineMetadata(metadataKey, Reflect.getOwnMetadata(metadataKey, from), to);
  }
}

function describeTarget(target: object, propertyKey: string | symbol): string {
  const owner = typeof target === 'function' ? target.name : target.constructor?.name;
  return `${owner ?? 'anonymous'}.${String(propertyKey)}`;
}

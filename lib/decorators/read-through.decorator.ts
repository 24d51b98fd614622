import 'reflect-metadata';
import type { ReadThroughOptions } from '../interfaces/read-through-options.interface.js';
import { READ_THROUGH_BINDINGS, READ_THROUGH_METADATA } from '../redis-cache.constants.js';
import type { Duration } from '../utils/duration.util.js';

/**
 * A cache key: a template over the arguments (`'route:{0}'`, `'user:{0.id}:{1}'`; on controller
 * routes over the request: `'cat:{params.id}'`, `'{user.id}'`, `'{query.page}'`,
 * `'{headers.x-tenant}'`), or a function of the method's arguments.
 */
export type ReadThroughKey<A extends unknown[]> = string | ((...args: A) => string);

/** What `@ReadThrough` records on the method, read by the explorer and the interceptor. */
export interface ReadThroughMetadata {
  readonly key: ReadThroughKey<never[]> | undefined;
  readonly ttl: Duration | undefined;
  readonly options: ReadThroughOptions<never>;
  /** The undecorated method. */
  readonly method: (...args: unknown[]) => unknown;
}

/** A bound read-through call for one method of one provider instance (set up by the explorer). */
export type ReadThroughBinding = (instance: object, args: unknown[]) => Promise<unknown>;

type Bindable = { [READ_THROUGH_BINDINGS]?: Map<string | symbol, ReadThroughBinding> };

/**
 * Makes an async method a read-through cached call: on a hit the method is not run; on a miss it
 * runs once (concurrent callers share that run) and its result is stored for `ttl`.
 *
 * - On a provider method the key comes from the arguments; omitted, it is
 *   `<Class>.<method>:<stable encoding of the arguments>`.
 * - On a controller route (with `ReadThroughInterceptor`) the key comes from the request;
 *   omitted, it is `<METHOD>:<path>?<sorted query>`.
 *
 * The decorator only records metadata and installs a thin wrapper that keeps the method's name
 * and other decorators' metadata; the binding to the cache happens per instance at module init,
 * so an instance created outside Nest simply runs uncached.
 *
 * @param key template or function of the arguments (type-checked against the method)
 * @param ttl time to live: milliseconds or `'30s' | '5m' | '1h' | '1d'`; default: module `ttl`
 * @param options per-method options: `namespace`, `serializer`, `cacheNull`, `condition`, `unless`
 *
 * @example
 * @ReadThrough('route:{0}', '10m')
 * async optimize(coordinates: string): Promise<Route> { ... }
 *
 * @example
 * @ReadThrough((userId: string, lang: string) => `profile:${userId}:${lang}`, seconds(30))
 * async profile(userId: string, lang: string): Promise<Profile> { ... }
 */
export function ReadThrough<A extends unknown[] = any[], R = any>(
  key?: ReadThroughKey<A>,
  ttl?: Duration,
  options?: ReadThroughOptions<Awaited<R>>,
) {
  return <M extends (...args: A) => Promise<R>>(
    target: object,
    propertyKey: string | symbol,
    descriptor: TypedPropertyDescriptor<M>,
  ): TypedPropertyDescriptor<M> => {
    const method = descriptor.value as unknown as ((...args: unknown[]) => unknown) | undefined;
    if (typeof method !== 'function') {
      throw new TypeError(`@ReadThrough can only decorate methods (${describeTarget(target, propertyKey)})`);
    }
    function readThrough(this: Bindable, ...args: unknown[]): unknown {
      const binding = this?.[READ_THROUGH_BINDINGS]?.get(propertyKey);
      return binding ? binding(this, args) : method!.apply(this, args);
    }
    copyMetadata(method, readThrough);
    Object.defineProperty(readThrough, 'name', { value: method.name, configurable: true });
    const metadata: ReadThroughMetadata = {
      key: key as ReadThroughKey<never[]> | undefined,
      ttl,
      options: (options ?? {}) as ReadThroughOptions<never>,
      method,
    };
    Reflect.defineMetadata(READ_THROUGH_METADATA, metadata, readThrough);
    descriptor.value = readThrough as unknown as M;
    return descriptor;
  };
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

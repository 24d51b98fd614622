import 'reflect-metadata';

/** A bound call of one decorated method of one provider instance (set up by the explorer at module init). */
export type MethodBinding = (instance: object, args: unknown[]) => Promise<unknown>;

/** Where a decorator's bindings live on an instance: one map per decorator, keyed by method name. */
type BindingHost = Record<symbol, Map<string | symbol, MethodBinding> | undefined>;

/**
 * A key function fits a method when it accepts the method's arguments (it may ignore trailing
 * ones, like any TypeScript callback); else the decorator does not type-check.
 */
export type KeyFitsMethod<A extends unknown[], M extends (...args: never[]) => unknown> = ((
  ...args: A
) => string) extends (...args: Parameters<M>) => string
  ? unknown
  : { readonly 'the key function does not accept the method arguments': never };

/** What `@CacheEvict(...)` and `@CachePut(...)` return: a decorator of async methods whose key functions fit them. */
export interface CacheWriteMethodDecorator<A extends unknown[], R = unknown> {
  <M extends (...args: never[]) => Promise<R>>(
    target: object,
    propertyKey: string | symbol,
    descriptor: TypedPropertyDescriptor<M> & KeyFitsMethod<A, M>,
  ): TypedPropertyDescriptor<M>;
}

/**
 * Replaces a method with a thin wrapper that runs the instance's binding (under `bindings`) when
 * the explorer set one, else the method itself: an instance created outside Nest runs the plain
 * method. The wrapper keeps the method's name and every metadata other decorators put on it, and
 * carries `metadata` (with `method`, the function it wraps) under `metadataKey`.
 */
export function wrapMethod(
  decorator: string,
  bindings: symbol,
  metadataKey: string,
  target: object,
  propertyKey: string | symbol,
  descriptor: TypedPropertyDescriptor<unknown> | undefined,
  recorded: object,
): TypedPropertyDescriptor<unknown> {
  const method = descriptor?.value as ((...args: unknown[]) => unknown) | undefined;
  const where = `${typeof target === 'function' ? target.name : target.constructor?.name}.${String(propertyKey)}`;
  if (typeof method !== 'function') throw new TypeError(`@${decorator} can only decorate methods (${where})`);
  // A second wrapper of the same decorator would find its own binding and call itself forever.
  if (Reflect.hasOwnMetadata(metadataKey, method)) {
    throw new TypeError(`@${decorator} is applied twice to ${where}: use one, with several keys or tags`);
  }
  function cacheWrite(this: BindingHost, ...args: unknown[]): unknown {
    const binding = this?.[bindings]?.get(propertyKey);
    return binding ? binding(this, args) : method!.apply(this, args);
  }
  for (const key of Reflect.getOwnMetadataKeys(method)) {
    Reflect.defineMetadata(key, Reflect.getOwnMetadata(key, method), cacheWrite);
  }
  Object.defineProperty(cacheWrite, 'name', { value: method.name, configurable: true });
  Reflect.defineMetadata(metadataKey, { ...recorded, method }, cacheWrite);
  descriptor!.value = cacheWrite;
  return descriptor!;
}

/** Sets `binding` for `name` under `bindings` on `instance` (non-enumerable, on the instance: two apps never share one). */
export function attachBinding(instance: object, bindings: symbol, name: string, binding: MethodBinding): void {
  const host = instance as BindingHost;
  let map = host[bindings];
  if (!map) {
    map = new Map();
    Object.defineProperty(host, bindings, { value: map, configurable: true, enumerable: false });
  }
  map.set(name, binding);
}

/** Whether `instance` already has a binding for `name` under `bindings` (a provider listed by two modules). */
export function hasBinding(instance: object, bindings: symbol, name: string): boolean {
  return (instance as BindingHost)[bindings]?.has(name) === true;
}

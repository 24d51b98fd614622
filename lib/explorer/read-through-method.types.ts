// The compile-time view of a provider's `@ReadThrough` methods, so that a call named as
// `(Type, 'method', ...args)` is checked against the method itself.

/** The names of `T`'s async methods: what `@ReadThrough` decorates and `evict()`, `keyOf()` and `refresh()` name. */
export type ReadThroughMethodName<T> = {
  [K in keyof T]-?: T[K] extends (...args: never[]) => Promise<unknown> ? K : never;
}[keyof T] &
  string;

/** The parameters of method `K` of `T`. */
export type ReadThroughMethodArgs<T, K extends keyof T> = T[K] extends (...args: infer A) => unknown ? A : never;

/** The resolved result of method `K` of `T`. */
export type ReadThroughMethodResult<T, K extends keyof T> = T[K] extends (...args: never[]) => Promise<infer R>
  ? R
  : never;

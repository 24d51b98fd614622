import 'reflect-metadata';
import type { ReadThroughOptions, ReadThroughTtl } from '../interfaces/read-through-options.interface.js';
import type { ReadThroughKey } from './read-through.decorator.js';
import { wrapMethod, type CacheWriteMethodDecorator } from './cache-write.wrapper.js';

/** Reflect-metadata key under which `@CachePut` records its arguments on the method. */
export const CACHE_PUT_METADATA = 'nestjs-readthrough:cache-put';

/** Property on a provider instance holding its bound `@CachePut` methods. */
export const CACHE_PUT_BINDINGS = Symbol('nestjs-readthrough:cache-put-bindings');

/** What `@CachePut` records on the method, read by the explorer. */
export interface CachePutMetadata {
  readonly key: ReadThroughKey<never[]>;
  readonly ttl: ReadThroughTtl<never> | undefined;
  readonly options: ReadThroughOptions<never>;
  /** The function the wrapper wraps (the method, or another decorator's wrapper). */
  readonly method: (...args: unknown[]) => unknown;
}

/**
 * The method always runs, and its result replaces the entry under `key` (stored through the same
 * fenced write as a `@ReadThrough` miss). Keys are derived exactly like `@ReadThrough` keys, so
 * `@CachePut('book:{0.isbn}')` on `update(book)` writes the entry `@ReadThrough('book:{0}')` on
 * `find(isbn)` reads. Give it the serializer, namespace and tags the reading method has, or the
 * reader refuses the entry (a miss, never a wrong value).
 *
 * Provider methods only: on a controller route it fails bootstrap (a route's entry is the GET
 * response as sent; put `@CacheEvict` on the write route instead).
 *
 * @param key template or function of the arguments (type-checked against the method)
 * @param ttl time to live, or a function of the result; default: module `ttl`
 * @param options `namespace`, `tags`, `serializer`, `negativeTtl`, `cacheNull`, `condition`, `unless`, ...
 *
 * @example
 * @CachePut('book:{0.isbn}', '5m')
 * async update(book: Book): Promise<Book> { ... } // a later find(book.isbn) is a hit with this book
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- as @ReadThrough's: with unknown[], an untyped call would reject every typed method
export function CachePut<A extends unknown[] = any[], R = any>(
  key: ReadThroughKey<A>,
  ttl?: ReadThroughTtl<Awaited<R>>,
  options?: ReadThroughOptions<Awaited<R>>,
): CacheWriteMethodDecorator<A, R> {
  const recorded = { key, ttl, options: options ?? {} };
  return ((target: object, propertyKey: string | symbol, descriptor?: TypedPropertyDescriptor<unknown>) =>
    wrapMethod(
      'CachePut',
      CACHE_PUT_BINDINGS,
      CACHE_PUT_METADATA,
      target,
      propertyKey,
      descriptor,
      recorded,
    )) as CacheWriteMethodDecorator<A, R>;
}

/** Reads what `@CachePut` recorded on a method, or `undefined`. */
export function getCachePutMetadata(method: unknown): CachePutMetadata | undefined {
  if (typeof method !== 'function') return undefined;
  return Reflect.getMetadata(CACHE_PUT_METADATA, method) as CachePutMetadata | undefined;
}

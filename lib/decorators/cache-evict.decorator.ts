import 'reflect-metadata';
import { wrapMethod, type CacheWriteMethodDecorator } from './cache-write.wrapper.js';

/** Reflect-metadata key under which `@CacheEvict` records its arguments on the method. */
export const CACHE_EVICT_METADATA = 'nestjs-readthrough:cache-evict';

/** Property on a provider instance holding its bound `@CacheEvict` methods. */
export const CACHE_EVICT_BINDINGS = Symbol('nestjs-readthrough:cache-evict-bindings');

/**
 * A key to evict: a template over the method's arguments (`'book:{0.isbn}'`; on a controller
 * route over the request: `'cat:{params.id}'`), or a function of the method's arguments.
 */
export type CacheEvictKey<A extends unknown[]> = string | ((...args: A) => string);

/** The options form of `@CacheEvict`. At least one of `keys`, `tags` or `all` is needed. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see CacheEvict's generic default
export interface CacheEvictOptions<A extends unknown[] = any[]> {
  /** Keys to delete, derived exactly like `@ReadThrough` keys (same templates, same escaping). */
  keys?: CacheEvictKey<A> | CacheEvictKey<A>[];
  /** Tag templates over the arguments (or the request): every entry carrying one of them is invalidated. */
  tags?: string[];
  /** Namespace of `keys` and of `all`. @default module `namespace` */
  namespace?: string;
  /** Delete every entry of the namespace (SCAN + UNLINK, like `RedisCacheService.clear(namespace)`). @default false */
  all?: boolean;
  /** Evict before the method runs, so also when it throws. @default false: after it succeeded */
  beforeInvocation?: boolean;
  /**
   * What a placeholder that reads `undefined` names; give it the value the `@ReadThrough` whose
   * entries this evicts has. `'bypass'`: no key (that reader never stored one), skipped with a
   * warning, so a misspelled path is seen. `'empty'`: the entry every call without the value
   * shares (`{0.shelf}` with no shelf), which is evicted.
   * @default 'bypass'
   */
  missingKeyValue?: 'bypass' | 'empty';
}

/** What `@CacheEvict` records on the method, read by the explorer (providers) and the interceptor (routes). */
export interface CacheEvictMetadata {
  readonly options: CacheEvictOptions<never[]>;
  /** The function the wrapper wraps (the method, or another decorator's wrapper). */
  readonly method: (...args: unknown[]) => unknown;
}

/**
 * Deletes cache entries when a method succeeds: after its promise resolves (nothing is evicted
 * when it rejects), or first with `beforeInvocation: true`. The caller always gets the method's
 * result; an eviction that fails is logged (with `failOpen: false` it rejects with
 * `RedisCacheConnectionError`).
 *
 * - On a provider method, keys and tags are templates over its arguments, derived exactly like
 *   `@ReadThrough` keys: `@ReadThrough('book:{0}')` on `find(isbn)` and
 *   `@CacheEvict('book:{0.isbn}')` on `update(book)` name the same entry.
 * - On a controller route (with `ReadThroughInterceptor`), they are templates over the request
 *   (`'cat:{params.id}'`), and only a 2xx response evicts.
 *
 * Like `@ReadThrough`, it only records metadata and installs a thin wrapper; an instance created
 * outside Nest runs the plain method.
 *
 * @param keyOrOptions a key, several keys, or `{ keys?, tags?, namespace?, all?, beforeInvocation?, missingKeyValue? }`
 *
 * @example
 * @CacheEvict('book:{0.isbn}')
 * async update(book: Book): Promise<Book> { ... }
 *
 * @example
 * @CacheEvict({ keys: ['book:{0}', 'books:all'], tags: ['author:{1}'] })
 * async remove(isbn: string, authorId: string): Promise<void> { ... }
 *
 * @example
 * @Put(':id')
 * @CacheEvict('cat:{params.id}') // evicts when the response is 2xx
 * update(@Param('id') id: string, @Body() cat: Cat): Promise<Cat> { ... }
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- as @ReadThrough's: with unknown[], an untyped call would reject every typed method
export function CacheEvict<A extends unknown[] = any[]>(
  keyOrOptions: CacheEvictKey<A> | CacheEvictKey<A>[] | CacheEvictOptions<A>,
): CacheWriteMethodDecorator<A> {
  const options: CacheEvictOptions<A> =
    typeof keyOrOptions === 'string' || typeof keyOrOptions === 'function' || Array.isArray(keyOrOptions)
      ? { keys: keyOrOptions }
      : (keyOrOptions ?? {});
  return ((target: object, propertyKey: string | symbol, descriptor?: TypedPropertyDescriptor<unknown>) =>
    wrapMethod('CacheEvict', CACHE_EVICT_BINDINGS, CACHE_EVICT_METADATA, target, propertyKey, descriptor, {
      options,
    })) as CacheWriteMethodDecorator<A>;
}

/** Reads what `@CacheEvict` recorded on a method, or `undefined`. */
export function getCacheEvictMetadata(method: unknown): CacheEvictMetadata | undefined {
  if (typeof method !== 'function') return undefined;
  return Reflect.getMetadata(CACHE_EVICT_METADATA, method) as CacheEvictMetadata | undefined;
}

import { RedisCacheError } from './redis-cache.error.js';

/** Why {@link ReadThroughBindingError} was thrown. */
export type ReadThroughBindingProblem = 'not-bound' | 'request-scoped' | 'ambiguous' | 'key';

/**
 * `RedisCacheService.evict()`, `keyOf()` or `refresh()` was asked about a call whose entry this
 * application cannot name: the method has no `@ReadThrough` on a provider of this application
 * (`not-bound`), its provider is request-scoped or transient and so runs uncached
 * (`request-scoped`), several providers of the class hold different entries (`ambiguous`), or
 * the key cannot be built from these arguments (`key`).
 *
 * @example
 * try { cache.keyOf(BooksService, 'findAll') } catch (e) { if (e instanceof ReadThroughBindingError) e.problem }
 */
export class ReadThroughBindingError extends RedisCacheError {
  static readonly code = 'E_REDIS_CACHE_READ_THROUGH_BINDING';

  constructor(
    message: string,
    readonly problem: ReadThroughBindingProblem,
    options?: { cause?: unknown },
  ) {
    super(message, ReadThroughBindingError.code, options);
  }
}

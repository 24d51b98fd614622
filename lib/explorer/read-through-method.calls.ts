import type { Type } from '@nestjs/common';
import type { ReadThroughExecutor } from '../read-through/read-through.executor.js';
import type {
  ReadThroughMethodArgs,
  ReadThroughMethodName,
  ReadThroughMethodResult,
} from './read-through-method.types.js';
import type { ReadThroughRegistry } from './read-through.registry.js';

/**
 * One call of a `@ReadThrough` provider method, named as `(Type, 'method', ...args)` the way
 * `RedisCacheService.evict()`, `keyOf()` and `refresh()` take it, resolved through what the
 * explorer bound: its keys derived exactly as the decorator derives them, and its refresh run on
 * the bound instance. Each throws `ReadThroughBindingError` when the method is not bound in this
 * application or the key cannot be built from `args`.
 *
 * @example
 * calls.keyOf(BooksService, 'findByIsbn', ['978-0']) // 'sample:default:book:978-0'
 */
export class ReadThroughMethodCalls {
  constructor(
    private readonly registry: ReadThroughRegistry,
    private readonly executor: ReadThroughExecutor,
  ) {}

  /** The stored keys of the call, one per provider of the class holding an entry, without repeats. */
  keysOf<T, K extends ReadThroughMethodName<T>>(type: Type<T>, method: K, args: ReadThroughMethodArgs<T, K>): string[] {
    // Two providers of one class (two tokens) hold an entry each.
    const bindings = this.registry.bindings(type, method);
    return [...new Set(bindings.map((binding) => this.registry.callOf(binding, args).key))];
  }

  /** The stored key of the call; also throws when several providers of the class are bound. */
  keyOf<T, K extends ReadThroughMethodName<T>>(type: Type<T>, method: K, args: ReadThroughMethodArgs<T, K>): string {
    return this.registry.callOf(this.registry.single(type, method), args).key;
  }

  /**
   * Runs the method now on the bound instance and stores its result, even over a fresh entry.
   * Never throws: a binding error rejects, like the method's own error.
   */
  refresh<T, K extends ReadThroughMethodName<T>>(
    type: Type<T>,
    method: K,
    args: ReadThroughMethodArgs<T, K>,
  ): Promise<ReadThroughMethodResult<T, K>> {
    try {
      const binding = this.registry.single(type, method);
      const call = this.registry.callOf(binding, args);
      const source = {
        load: () => binding.method.apply(binding.instance, args) as Promise<ReadThroughMethodResult<T, K>>,
        revalidate: true,
        tags: call.tags,
      };
      return this.executor.value(call.key, binding.policy, source);
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }
}

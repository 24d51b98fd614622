import { Inject, Injectable } from '@nestjs/common';
import { ReadThroughBindingError } from '../errors/read-through-binding.error.js';
import { CacheKeyBuilder } from '../keys/cache-key.builder.js';
import type { MethodKeyFactory } from '../keys/method-key.factory.js';
import type { ResolvedRedisCacheOptions } from '../options/resolved-redis-cache-options.interface.js';
import type { ReadThroughPolicy } from '../read-through/read-through.policy.js';
import { RESOLVED_REDIS_CACHE_OPTIONS } from '../redis-cache.constants.js';
import { describeError } from '../utils/redact.util.js';

/** One `@ReadThrough` method of one provider instance, as the explorer bound it. */
export interface BoundReadThrough {
  readonly label: string;
  readonly policy: ReadThroughPolicy;
  readonly keyOf: MethodKeyFactory;
  /** The instance the explorer bound, on which `refresh()` runs the method. */
  readonly instance: object;
  /** The undecorated method. */
  readonly method: (...args: unknown[]) => unknown;
}

/** The stored key and tags of one call. */
export interface ReadThroughCall {
  readonly key: string;
  readonly tags: readonly string[] | undefined;
}

/**
 * What the explorer bound, by provider class and method name, for `RedisCacheService.evict()`,
 * `keyOf()` and `refresh()`: they name a call as `(Type, 'method', ...args)` and need the very
 * key derivation and instance the decorator uses.
 */
@Injectable()
export class ReadThroughRegistry {
  private readonly bound = new Map<object, Map<string, BoundReadThrough[]>>();
  /** Classes whose `@ReadThrough` methods run uncached (request-scoped, transient). */
  private readonly unbound = new Map<object, string>();
  private readonly keys: CacheKeyBuilder;

  constructor(@Inject(RESOLVED_REDIS_CACHE_OPTIONS) options: ResolvedRedisCacheOptions) {
    this.keys = new CacheKeyBuilder(options.prefix);
  }

  /** @internal Called by the explorer for each method it binds. */
  register(type: object, method: string, entry: BoundReadThrough): void {
    let methods = this.bound.get(type);
    if (!methods) this.bound.set(type, (methods = new Map()));
    const list = methods.get(method) ?? [];
    if (!list.some((known) => known.instance === entry.instance)) methods.set(method, [...list, entry]);
  }

  /** @internal Called by the explorer for a provider it leaves unbound, with why. */
  refuse(type: object, reason: string): void {
    this.unbound.set(type, reason);
  }

  /** Every binding of `type.method` in this application; throws when there is none. */
  bindings(type: object, method: string): readonly BoundReadThrough[] {
    const found = this.bound.get(type)?.get(method);
    if (found && found.length > 0) return found;
    const name = `${(type as { name?: string }).name ?? 'anonymous'}.${method}`;
    const reason = this.unbound.get(type);
    if (reason !== undefined) throw new ReadThroughBindingError(`${name}: ${reason}`, 'request-scoped');
    throw new ReadThroughBindingError(
      `${name} is not a @ReadThrough method of a provider of this application (controller routes are keyed by the request: use @CacheEvict on a route, or clear())`,
      'not-bound',
    );
  }

  /** The one binding of `type.method`; throws when several providers of the class hold different entries. */
  single(type: object, method: string): BoundReadThrough {
    const found = this.bindings(type, method);
    if (found.length > 1) {
      throw new ReadThroughBindingError(
        `${found.map((entry) => entry.label).join(' and ')} are ${found.length} providers of one class; name the call through RedisCacheService.wrap() or evict() instead`,
        'ambiguous',
      );
    }
    return found[0];
  }

  /** The stored key and tags of `binding` called with `args`; throws when they cannot be built. */
  callOf(binding: BoundReadThrough, args: unknown[]): ReadThroughCall {
    try {
      return this.build(binding, args);
    } catch (error) {
      throw new ReadThroughBindingError(
        `${binding.label}: the cache key of these arguments cannot be built (the call runs uncached): ${describeError(error)}`,
        'key',
        { cause: error },
      );
    }
  }

  /** The stored key and tags of a call; throws what the key or a tag template throws. */
  build(binding: Pick<BoundReadThrough, 'policy' | 'keyOf'>, args: unknown[]): ReadThroughCall {
    const { policy } = binding;
    const key = this.keys.build(policy.namespace, binding.keyOf(args));
    const tags = policy.tags.length > 0 ? policy.tags.map((tag) => tag(args)) : undefined;
    return { key, tags };
  }
}

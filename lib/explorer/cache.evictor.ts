import { Inject, Injectable, Logger } from '@nestjs/common';
import { asConnectionError } from '../errors/connection-error.wrap.js';
import { CacheKeyBuilder } from '../keys/cache-key.builder.js';
import type { ResolvedRedisCacheOptions } from '../options/resolved-redis-cache-options.interface.js';
import { ReadThroughExecutor } from '../read-through/read-through.executor.js';
import { LOGGER_CONTEXT, RESOLVED_REDIS_CACHE_OPTIONS } from '../redis-cache.constants.js';
import { CacheStore } from '../store/cache.store.js';
import { describeError } from '../utils/redact.util.js';
import { ThrottledLogger } from '../utils/throttled-logger.util.js';

/** A compiled `@CacheEvict` of one method or route: what it reads from `Root` (the arguments or the request). */
export interface EvictionPlan<Root> {
  readonly label: string;
  readonly namespace: string;
  /** Each builds the `<key>` part of `<prefix>:<namespace>:<key>`. */
  readonly keys: readonly ((root: Root) => string)[];
  readonly tags: readonly ((root: Root) => string)[];
  readonly all: boolean;
  readonly beforeInvocation: boolean;
}

/** What one call evicts: full keys, tag names, and the namespace prefix for `all`. */
export interface EvictionTargets {
  readonly keys: readonly string[];
  readonly tags: readonly string[];
  readonly prefix: string | undefined;
}

/**
 * Runs evictions for `@CacheEvict` on providers and routes, failing open like every cache write:
 * a store failure is logged (throttled) and the caller gets its result, unless the module sets
 * `failOpen: false`, which rejects with `RedisCacheConnectionError`.
 */
@Injectable()
export class CacheEvictor {
  private readonly logger = new Logger(LOGGER_CONTEXT);
  private readonly warnings = new ThrottledLogger(this.logger);
  private readonly keys: CacheKeyBuilder;

  constructor(
    private readonly executor: ReadThroughExecutor,
    private readonly store: CacheStore,
    @Inject(RESOLVED_REDIS_CACHE_OPTIONS) private readonly options: ResolvedRedisCacheOptions,
  ) {
    this.keys = new CacheKeyBuilder(options.prefix);
  }

  /**
   * The keys and tags `plan` names for `root`. One that cannot be built (a placeholder that read
   * nothing under `missingKeyValue: 'bypass'`, a throwing key function) is skipped with a
   * warning: the matching `@ReadThrough` call could not have built it either, so it ran uncached
   * and stored nothing. (Under `'empty'` the placeholder builds the shared key, which is evicted.)
   */
  targetsOf<Root>(plan: EvictionPlan<Root>, root: Root): EvictionTargets {
    const build = (part: (root: Root) => string, what: string): string | undefined => {
      try {
        return part(root);
      } catch (error) {
        this.warnings.warn(
          `evict-key:${plan.label}`,
          `${plan.label}: could not build a ${what} to evict, skipped: ${describeError(error)}`,
        );
        return undefined;
      }
    };
    const keys: string[] = [];
    for (const key of plan.keys) {
      const part = build(key, 'key');
      if (part !== undefined) keys.push(this.keys.build(plan.namespace, part));
    }
    const tags: string[] = [];
    for (const tag of plan.tags) {
      const name = build(tag, 'tag');
      if (name !== undefined) tags.push(name);
    }
    return { keys, tags, prefix: plan.all ? this.keys.namespacePrefix(plan.namespace) : undefined };
  }

  /**
   * Deletes the keys (one pipelined UNLINK each, and this process' loads of them detached),
   * invalidates the tags (one UNLINK) and, for `all`, the namespace (SCAN + UNLINK), at once.
   */
  async evict(label: string, targets: EvictionTargets): Promise<void> {
    const { keys, tags, prefix } = targets;
    try {
      await Promise.all([
        keys.length > 0 ? this.executor.evict(keys, label) : undefined,
        tags.length > 0 ? this.executor.invalidateTags(tags, label) : undefined,
        prefix !== undefined ? this.executor.clear(prefix, label) : undefined,
      ]);
    } catch (error) {
      if (!this.options.failOpen) throw asConnectionError(error, `${label}: cache eviction failed`);
      this.warnings.warn(
        `evict:${label}`,
        `${label}: cache eviction failed on the ${this.store.kind} store (entries may be served until they expire): ${describeError(error)}`,
      );
    }
  }
}

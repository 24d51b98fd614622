import type { Logger } from '@nestjs/common';
import type { ResolvedRedisCacheOptions } from '../options/resolved-redis-cache-options.interface.js';
import type { ReadThroughExecutor } from '../read-through/read-through.executor.js';
import { describeError } from '../utils/redact.util.js';
import type { ThrottledLogger } from '../utils/throttled-logger.util.js';
import type { CacheEvictor } from './cache.evictor.js';
import type { ReadThroughRegistry } from './read-through.registry.js';

/** What the binders of `@ReadThrough`, `@CachePut` and `@CacheEvict` methods share (one per explorer). */
export interface MethodBinderContext {
  readonly options: ResolvedRedisCacheOptions;
  readonly executor: ReadThroughExecutor;
  readonly registry: ReadThroughRegistry;
  readonly evictor: CacheEvictor;
  readonly logger: Logger;
  readonly warnings: ThrottledLogger;
}

/**
 * Runs `method` uncached after a key that could not be built (a placeholder that read nothing, a
 * cyclic argument, a throwing key function): that costs caching, never the call.
 */
export function runUncached(
  context: MethodBinderContext,
  label: string,
  error: unknown,
  run: () => unknown,
): Promise<unknown> {
  context.warnings.warn(
    `key:${label}`,
    `${label}: could not build the cache key, running uncached: ${describeError(error)}`,
  );
  return Promise.resolve().then(run);
}

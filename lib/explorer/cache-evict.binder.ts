import type { CacheEvictMetadata } from '../decorators/cache-evict.decorator.js';
import type { MethodBinding } from '../decorators/cache-write.wrapper.js';
import type { EvictionPlan } from './cache.evictor.js';
import { resolveCacheEvictOptions } from './cache-evict.options.js';
import type { MethodBinderContext } from './method-binder.context.js';
import { compileMethodKey, compileMethodTags, type MethodShape } from './method-templates.js';

/**
 * Binds one `@CacheEvict` method of one instance. The keys and tags are built from the
 * arguments as passed (before the method could change them); they are evicted after the method
 * resolved (nothing when it rejects), or first with `beforeInvocation`.
 */
export function bindCacheEvict(
  context: MethodBinderContext,
  shape: MethodShape,
  metadata: CacheEvictMetadata,
): MethodBinding {
  const { label } = shape;
  const resolved = resolveCacheEvictOptions(context.options, label, metadata.options);
  const plan: EvictionPlan<unknown[]> = {
    label,
    namespace: resolved.namespace,
    // Derived exactly like @ReadThrough keys, with the same choice for a placeholder that reads nothing.
    keys: resolved.keys.map((key) => compileMethodKey(shape, key, resolved.missingKeyValue, 'CacheEvict', 'keys')),
    tags: compileMethodTags(shape, resolved.tags, resolved.missingKeyValue, 'CacheEvict'),
    all: resolved.all,
    beforeInvocation: resolved.beforeInvocation,
  };
  const { evictor } = context;
  const { method } = metadata;
  return async (target, args) => {
    const targets = evictor.targetsOf(plan, args);
    if (plan.beforeInvocation) {
      await evictor.evict(label, targets);
      return method.apply(target, args);
    }
    const result = await method.apply(target, args);
    await evictor.evict(label, targets);
    return result;
  };
}

import type { CachePutMetadata } from '../decorators/cache-put.decorator.js';
import type { MethodBinding } from '../decorators/cache-write.wrapper.js';
import { InvalidRedisCacheOptionsError } from '../errors/invalid-redis-cache-options.error.js';
import { createReadThroughPolicy } from '../read-through/read-through.policy.js';
import { runUncached, type MethodBinderContext } from './method-binder.context.js';
import { compileMethodKey, compileMethodTags, type MethodShape } from './method-templates.js';
import { valueOf } from '../read-through/read-through.executor.js';

/**
 * Binds one `@CachePut` method of one instance: every call runs the method (no lookup) and
 * stores its result under the key, through the executor's fenced write, with the call's tags.
 */
export function bindCachePut(
  context: MethodBinderContext,
  shape: MethodShape,
  metadata: CachePutMetadata,
): MethodBinding {
  const { label } = shape;
  const { executor, registry } = context;
  if (metadata.key === undefined || metadata.key === null) {
    // A default key would be `<label>:<arguments>` of this very method, which no reader shares.
    throw new InvalidRedisCacheOptionsError(
      `${label}: key`,
      '@CachePut needs the key of the entry it replaces',
      "give it the reading method's key over this method's arguments, e.g. @CachePut('book:{0.isbn}')",
    );
  }
  const policy = createReadThroughPolicy(context.options, label, metadata.ttl, metadata.options, executor.defaultCodec);
  const missing = metadata.options.missingKeyValue;
  const keyOf = compileMethodKey(shape, metadata.key, missing, 'CachePut');
  compileMethodTags(shape, metadata.options.tags, missing, 'CachePut');
  const { method } = metadata;
  return (target, args) => {
    let call;
    try {
      call = registry.build({ policy, keyOf }, args);
    } catch (error) {
      return runUncached(context, label, error, () => method.apply(target, args));
    }
    const source = { load: () => method.apply(target, args), revalidate: true, tags: call.tags };
    return executor.run(call.key, policy, source).then(valueOf);
  };
}

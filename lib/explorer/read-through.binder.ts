import type { ReadThroughBinding, ReadThroughMetadata } from '../decorators/read-through.decorator.js';
import { createReadThroughPolicy, type ReadThroughPolicy } from '../read-through/read-through.policy.js';
import { runUncached, type MethodBinderContext } from './method-binder.context.js';
import { compileMethodKey, compileMethodTags, type MethodShape } from './method-templates.js';

/**
 * Binds one `@ReadThrough` method of one instance: key and tags per call (a key or a tag that
 * cannot be built runs the call uncached), registered for `RedisCacheService.evict()`,
 * `keyOf()` and `refresh()`.
 */
export function bindReadThrough(
  context: MethodBinderContext,
  shape: MethodShape,
  metadata: ReadThroughMetadata,
  type: object,
  instance: object,
  methodName: string,
): { binding: ReadThroughBinding; policy: ReadThroughPolicy } {
  const { label } = shape;
  const { executor, registry } = context;
  const policy = createReadThroughPolicy(context.options, label, metadata.ttl, metadata.options, executor.defaultCodec);
  const missing = metadata.options.missingKeyValue;
  const keyOf = compileMethodKey(shape, metadata.key, missing, 'ReadThrough');
  // The policy compiled the tags; this checks their placeholders against the parameters, like the key's.
  compileMethodTags(shape, metadata.options.tags, missing, 'ReadThrough');
  const { method } = metadata;
  const bound = { label, policy, keyOf, instance, method };
  registry.register(type, methodName, bound);
  const binding: ReadThroughBinding = (target, args) => {
    let call;
    try {
      call = registry.build(bound, args);
    } catch (error) {
      return runUncached(context, label, error, () => method.apply(target, args));
    }
    return executor.value(call.key, policy, { load: () => method.apply(target, args), tags: call.tags });
  };
  return { binding, policy };
}

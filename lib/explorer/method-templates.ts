import { InvalidRedisCacheOptionsError } from '../errors/invalid-redis-cache-options.error.js';
import type { MissingKeyValue } from '../keys/key-template.compiler.js';
import { declaredParameterCount } from '../keys/method-arity.util.js';
import { createMethodKeyFactory, type MethodKeyFactory } from '../keys/method-key.factory.js';
import type { ReadThroughKey } from '../decorators/read-through.decorator.js';
import { describeError } from '../utils/redact.util.js';

/** What templates over one method's arguments are checked against: its label and declared parameter count. */
export interface MethodShape {
  /** `<token>.<method>`, for errors and log lines. */
  readonly label: string;
  /** Declared parameters; `undefined` when unbounded (a rest parameter). */
  readonly parameterCount: number | undefined;
}

/** The shape of `prototype[methodName]`, whose undecorated function is `method`. */
export function methodShape(
  label: string,
  method: (...args: never[]) => unknown,
  prototype: object,
  methodName: string,
): MethodShape {
  const paramTypes = Reflect.getMetadata('design:paramtypes', prototype, methodName) as unknown[] | undefined;
  return { label, parameterCount: declaredParameterCount(method, paramTypes) };
}

/**
 * Compiles a key (template, function, or `undefined` for the default key) over the method's
 * arguments, exactly as `@ReadThrough` keys are: every decorator that names one entry derives
 * it the same way. A malformed template, or one reading an argument the method does not declare
 * (`{2}` on a one-parameter method), fails bootstrap.
 */
export function compileMethodKey(
  shape: MethodShape,
  key: ReadThroughKey<never[]> | undefined,
  missing: MissingKeyValue | undefined,
  decorator: string,
  field = 'key',
): MethodKeyFactory {
  try {
    return createMethodKeyFactory(key, shape.label, { parameterCount: shape.parameterCount, missing });
  } catch (error) {
    throw new InvalidRedisCacheOptionsError(
      `${shape.label}: ${field}`,
      describeError(error).replace(/^TypeError: /, ''),
      `fix the @${decorator} ${field === 'key' ? 'key' : field}`,
    );
  }
}

/**
 * Compiles tag templates over the method's arguments with the same checks as keys. Tags are
 * names, not functions: `['books', 'author:{0.authorId}']`.
 */
export function compileMethodTags(
  shape: MethodShape,
  tags: unknown,
  missing: MissingKeyValue | undefined,
  decorator: string,
): MethodKeyFactory[] {
  if (tags === undefined) return [];
  if (!Array.isArray(tags) || tags.some((tag) => typeof tag !== 'string' || tag === '')) {
    throw new InvalidRedisCacheOptionsError(
      `${shape.label}: tags`,
      'expected an array of non-empty tag templates',
      "use e.g. tags: ['books', 'author:{0.authorId}']",
    );
  }
  return tags.map((tag: string) => compileMethodKey(shape, tag, missing, decorator, 'tags'));
}

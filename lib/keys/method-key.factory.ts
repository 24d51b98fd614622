import { compileKeyTemplate } from './key-template.compiler.js';
import { encodeStableValue } from './stable-value.encoder.js';
import type { ReadThroughKey } from '../decorators/read-through.decorator.js';

/** Turns a method's argument list into the `<key>` part of `<prefix>:<namespace>:<key>`. */
export type MethodKeyFactory = (args: unknown[]) => string;

/**
 * Compiles the key of a decorated provider method once, at bootstrap. Throws a `TypeError` for
 * a malformed template (the explorer reports it with the method's name).
 *
 * - template: interpolated from the argument list (`{0}`, `{1.id}`), values escaped;
 * - function: called with the arguments; it must return a string;
 * - omitted: `<label>:<stable encoding of all arguments>`.
 */
export function createMethodKeyFactory(key: ReadThroughKey<never[]> | undefined, label: string): MethodKeyFactory {
  if (key === undefined) return (args) => `${label}:${encodeStableValue(args)}`;
  if (typeof key === 'string') return compileKeyTemplate(key);
  if (typeof key === 'function') {
    const keyFn = key as (...args: unknown[]) => unknown;
    return (args) => {
      const result = keyFn(...args);
      if (typeof result !== 'string') throw new TypeError(`the key function returned ${typeof result}, not a string`);
      return result;
    };
  }
  throw new TypeError(`the key must be a template string or a function, got ${typeof key}`);
}

import { compileKeyTemplate, parseKeyTemplate, type MissingKeyValue } from './key-template.compiler.js';
import { encodeStableValue } from './stable-value.encoder.js';
import type { ReadThroughKey } from '../decorators/read-through.decorator.js';

/** Turns a method's argument list into the `<key>` part of `<prefix>:<namespace>:<key>`. */
export type MethodKeyFactory = (args: unknown[]) => string;

/** What the factory may check the key against, and what a missing value does. */
export interface MethodKeyContext {
  /** Arguments the method declares; `undefined` when unbounded (rest parameter). */
  readonly parameterCount?: number;
  /** What a placeholder that reads `undefined` does. @default 'bypass' */
  readonly missing?: MissingKeyValue;
}

/**
 * Compiles the key of a decorated provider method once, at bootstrap. Throws a `TypeError` for
 * a malformed template, or a placeholder that can never read an argument (`{foo}`, or `{2}` on
 * a method of two parameters); the explorer reports it with the method's name.
 *
 * - template: interpolated from the argument list (`{0}`, `{1.id}`), values escaped;
 * - function: called with the arguments; it must return a string;
 * - omitted: `<label>:<stable encoding of all arguments>`.
 */
export function createMethodKeyFactory(
  key: ReadThroughKey<never[]> | undefined,
  label: string,
  context: MethodKeyContext = {},
): MethodKeyFactory {
  if (key === undefined) return (args) => `${label}:${encodeStableValue(args)}`;
  if (typeof key === 'string') {
    checkArgumentPlaceholders(key, context.parameterCount);
    return compileKeyTemplate(key, context.missing);
  }
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

function checkArgumentPlaceholders(template: string, parameterCount: number | undefined): void {
  for (const path of parseKeyTemplate(template).paths) {
    const placeholder = `{${path.join('.')}}`;
    if (!/^(0|[1-9]\d*)$/.test(path[0])) {
      throw new TypeError(
        `placeholder "${placeholder}" does not name an argument; start it with an argument index such as {0} or {0.id}`,
      );
    }
    if (parameterCount !== undefined && Number(path[0]) >= parameterCount) {
      const declared = parameterCount === 1 ? '1 parameter' : `${parameterCount} parameters`;
      throw new TypeError(
        `placeholder "${placeholder}" reads argument ${path[0]}, but the method declares ${declared} (arguments are counted from {0})`,
      );
    }
  }
}

/**
 * How many arguments a method declares, for checking `{N}` placeholders at bootstrap, or
 * `undefined` when it cannot be bounded (a rest parameter, or source that cannot be read).
 *
 * `Function.length` stops at the first parameter with a default value, and
 * `design:paramtypes` is only there when the compiler emits decorator metadata, so both are
 * combined with a count of the parameter list in the method's source text.
 */
export function declaredParameterCount(
  method: (...args: never[]) => unknown,
  paramTypes: readonly unknown[] | undefined,
): number | undefined {
  const counted = countSourceParameters(Function.prototype.toString.call(method));
  if (counted === 'rest') return undefined;
  return Math.max(method.length, paramTypes?.length ?? 0, counted ?? 0);
}

/** Parameters in the source's first parenthesised list: a count, `'rest'`, or `undefined` when unreadable. */
function countSourceParameters(source: string): number | 'rest' | undefined {
  const open = source.indexOf('(');
  if (open === -1) return undefined;
  let depth = 0;
  let count = 0;
  let sawToken = false;
  let quote: string | undefined;
  for (let i = open + 1; i < source.length; i++) {
    const c = source[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = undefined;
      continue;
    }
    if (c === '"' || c === "'" || c === '`') quote = c;
    else if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' && depth === 0) return sawToken ? count + 1 : 0;
    else if (c === ')' || c === ']' || c === '}') depth--;
    else if (c === ',' && depth === 0) count++;
    // A spread inside a default value (`a = [...b]`) also reads as rest: that only skips the check.
    else if (c === '.' && source.startsWith('...', i)) return 'rest';
    if (!/\s/.test(c)) sawToken = true;
  }
  return undefined;
}

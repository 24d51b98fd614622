import { encodeStableValue } from './stable-value.encoder.js';

/** A compiled key template: reads values from `root` (the argument list or the request). */
export type CompiledKeyTemplate = (root: unknown) => string;

/** What a placeholder that reads `undefined` does; see {@link compileKeyTemplate}. */
export type MissingKeyValue = 'bypass' | 'empty';

/**
 * Thrown by a compiled template when a placeholder reads `undefined`: a misspelled path
 * (`{0.idd}`, `{query.pgae}`) would otherwise put every caller under one key. Callers treat it
 * like any key that cannot be built: the call runs uncached, with a warning.
 */
export class MissingKeyValueError extends TypeError {
  constructor(readonly placeholder: string) {
    super(
      `placeholder "{${placeholder}}" read nothing (undefined); the call runs uncached so that callers are never merged`,
    );
    this.name = 'MissingKeyValueError';
  }
}

/** Result of parsing a template: its literal parts, placeholder paths, and whether it is valid. */
export interface ParsedKeyTemplate {
  readonly literals: readonly string[];
  readonly paths: readonly (readonly string[])[];
}

const PLACEHOLDER = /\{([^{}]*)\}/g;
const UNDEFINED_MARK = '%u';
const NULL_MARK = '%0';
/** Prefix of objects and arrays; escaped strings never contain a bare `%j`, so `['1']` and `'["1"]'` differ. */
const STRUCTURED_MARK = '%j';

/**
 * Splits `'user:{0.id}:{1}'` into literals `['user:', ':', '']` and paths `[['0','id'], ['1']]`.
 * Throws a `TypeError` with the reason for an empty placeholder, an unbalanced brace, or two
 * placeholders with nothing between them (`{0}{1}`), which could not be told apart.
 */
export function parseKeyTemplate(template: string): ParsedKeyTemplate {
  const literals: string[] = [];
  const paths: string[][] = [];
  let last = 0;
  for (const match of template.matchAll(PLACEHOLDER)) {
    const path = match[1].trim();
    if (path === '') throw new TypeError(`empty placeholder "{}" in key template "${template}"`);
    const literal = template.slice(last, match.index);
    if (paths.length > 0 && literal === '') {
      throw new TypeError(`placeholders must be separated (e.g. "{0}:{1}") in key template "${template}"`);
    }
    literals.push(literal);
    paths.push(path.split('.'));
    last = match.index + match[0].length;
  }
  literals.push(template.slice(last));
  if (literals.some((literal) => literal.includes('{') || literal.includes('}'))) {
    throw new TypeError(`unbalanced "{" or "}" in key template "${template}"`);
  }
  return { literals, paths };
}

/**
 * Compiles a key template into a function. Interpolated values are escaped so that no two
 * different argument lists produce one key: `%` and `:` are always percent-encoded, and so is
 * the first character of every literal that separates two placeholders. `('a:b','c')` under
 * `'{0}:{1}'` gives `a%3Ab:c`, while `('a','b:c')` gives `a:b%3Ac`.
 *
 * Values are interpolated in their text form (a number `1` and a string `'1'` share a key, as
 * in a URL); objects and arrays are encoded with sorted keys behind a `%j` mark, and `null` gets
 * a mark of its own: no escaped string can produce any of them.
 *
 * A placeholder that reads `undefined` throws {@link MissingKeyValueError} (`missing: 'bypass'`,
 * the default), or, with `missing: 'empty'`, interpolates the `%u` mark, so that every caller
 * without the value shares one entry.
 */
export function compileKeyTemplate(template: string, missing: MissingKeyValue = 'bypass'): CompiledKeyTemplate {
  const { literals, paths } = parseKeyTemplate(template);
  if (paths.length === 0) return () => template;
  const escaped = new Set(['%', ':']);
  for (let i = 1; i < literals.length - 1; i++) {
    const first = String.fromCodePoint(literals[i].codePointAt(0)!);
    // Escapes are written as %XX / %uXXXX: a separator starting with one of those characters
    // could be confused with an escape, so it could not tell two argument lists apart.
    if (/^[%0-9A-Za-z]$/.test(first)) {
      throw new TypeError(
        `the text between two placeholders must start with punctuation such as ":" or "-" (found "${literals[i]}") in key template "${template}"`,
      );
    }
    escaped.add(first);
  }
  const escape = buildEscaper(escaped);
  const names = paths.map((path) => path.join('.'));
  const bypass = missing === 'bypass';
  return (root: unknown): string => {
    let key = literals[0];
    for (let i = 0; i < paths.length; i++) {
      const value = readPath(root, paths[i]);
      if (value === undefined && bypass) throw new MissingKeyValueError(names[i]);
      key += interpolate(value, escape) + literals[i + 1];
    }
    return key;
  };
}

/**
 * The value at `path` under `root`; `undefined` when any step is missing. A step reads an own
 * property, or a getter that a class (or Mongoose-style model) defines on its prototype, so
 * `{0.id}` works on objects that expose `#private` state through accessors. Members of
 * `Object.prototype` and `Function.prototype` (`constructor`, `__proto__`, `toString`) and
 * inherited data members such as methods are never read.
 */
export function readPath(root: unknown, path: readonly string[]): unknown {
  let current = root;
  for (const segment of path) {
    if (current === null || current === undefined) return undefined;
    current = isReadable(current, segment) ? (current as Record<string, unknown>)[segment] : undefined;
  }
  return current;
}

function isReadable(target: unknown, name: string): boolean {
  if (Object.prototype.hasOwnProperty.call(target, name)) return true;
  let prototype: unknown = Object.getPrototypeOf(target);
  while (prototype !== null && prototype !== Object.prototype && prototype !== Function.prototype) {
    const descriptor = Object.getOwnPropertyDescriptor(prototype, name);
    if (descriptor) return typeof descriptor.get === 'function';
    prototype = Object.getPrototypeOf(prototype);
  }
  return false;
}

function interpolate(value: unknown, escape: (text: string) => string): string {
  switch (typeof value) {
    case 'string':
      return escape(value);
    case 'number':
    case 'bigint':
    case 'boolean':
      return escape(String(value));
    case 'undefined':
      return UNDEFINED_MARK;
    default:
      if (value === null) return NULL_MARK;
      if (value instanceof Date) return escape(value.toISOString());
      return STRUCTURED_MARK + escape(encodeStableValue(value));
  }
}

/**
 * Builds a function that percent-encodes the given characters (as their UTF-8 bytes, upper-case
 * hex) and every lone surrogate (as `%uXXXX`, since UTF-8 would turn all of them into U+FFFD).
 */
function buildEscaper(characters: Set<string>): (text: string) => string {
  const replacements = new Map<string, string>();
  for (const c of characters) {
    replacements.set(
      c,
      [...Buffer.from(c, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''),
    );
  }
  const listed = [...characters].map((c) => c.replace(/[\\\]^-]/g, '\\$&')).join('');
  const pattern = `[${listed}]|[\\uD800-\\uDFFF]`;
  const find = new RegExp(pattern, 'u');
  const replaceAll = new RegExp(pattern, 'gu');
  const encodeMatch = (c: string): string =>
    replacements.get(c) ?? `%u${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
  return (text) => (find.test(text) ? text.replace(replaceAll, encodeMatch) : text);
}

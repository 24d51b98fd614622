import { CacheSerializer } from './cache.serializer.js';
import { classInstanceName, classInstanceRefusal, isPlainRecord } from './class-instance.check.js';

const DANGEROUS_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Cheap pre-test of stored text: a dangerous key may be present, spelled out or behind `\u`
 * escapes (no other JSON escape can spell one of its letters). One alternation regex of the three
 * whole words: irregexp skips through the text Boyer-Moore style on their length, which counted
 * ~1,000 fewer instructions per 1 KB hit than three `includes` scans whose first letters (`p`,
 * `c`) are common in text. This runs on every hit.
 */
const DANGEROUS_KEY_TEXT = /__proto__|constructor|prototype/;

function suspicious(text: string): boolean {
  return text.includes('\\u') || DANGEROUS_KEY_TEXT.test(text);
}

function refuseDangerousKeys(key: string, value: unknown): unknown {
  if (DANGEROUS_KEYS.has(key))
    throw new TypeError(`the stored JSON has a "${key}" key, which could pollute prototypes; entry refused`);
  return value;
}

/**
 * JSON.stringify replacer that throws where the JSON text would decode to another value than
 * the one given, so that what a hit returns is always what the method returned.
 */
function refuseLossy(this: unknown, key: string, value: unknown): unknown {
  const inArray = Array.isArray(this);
  if (!inArray && DANGEROUS_KEYS.has(key))
    throw lossy(`a "${key}" key (refused by the JSON serializer to keep prototype pollution out)`);
  const raw = (this as Record<string, unknown>)[key];
  switch (typeof raw) {
    case 'number':
      if (!Number.isFinite(raw)) throw lossy(`the number ${raw} (JSON writes null)`);
      return value;
    case 'undefined':
    case 'function':
    case 'symbol':
      // An object member of these is left out, as JSON always does; in an array it would become null.
      if (inArray)
        throw lossy(
          `${typeof raw === 'undefined' ? 'an undefined item or a hole' : `a ${typeof raw}`} in an array (JSON writes null)`,
        );
      return value;
    case 'object':
      if (raw === null) return value;
      if (Array.isArray(raw) && raw === value) return refuseClass(raw);
      if (raw !== value) throw lossy(`a ${nameOf(raw)} (its toJSON form is not the same value)`);
      if (
        raw instanceof Map ||
        raw instanceof Set ||
        raw instanceof WeakMap ||
        raw instanceof WeakSet ||
        ArrayBuffer.isView(raw) ||
        raw instanceof ArrayBuffer
      ) {
        throw lossy(`a ${nameOf(raw)} (JSON writes {})`);
      }
      if (raw instanceof String || raw instanceof Number || raw instanceof Boolean)
        throw lossy(`a boxed ${nameOf(raw)}`);
      return refuseClass(raw);
    default:
      return value;
  }
}

/**
 * `value` itself if JSON brings it back as it is: an array or a plain object. A class instance
 * would come back plain, any other built-in (`RegExp`, `Error`...) as `{}`.
 */
function refuseClass(value: object): object {
  const name = classInstanceName(value);
  if (name !== undefined) throw classInstanceRefusal(name);
  if (!Array.isArray(value) && !isPlainRecord(value)) throw lossy(`a ${nameOf(value)} (JSON writes {})`);
  return value;
}

function lossy(what: string): TypeError {
  return new TypeError(
    `the value holds ${what}, which would not come back from JSON as it went in; not cached (use the v8 or msgpack serializer for such values)`,
  );
}

function nameOf(value: object): string {
  return (value as { constructor?: { name?: string } }).constructor?.name ?? 'object';
}

/**
 * The default serializer: JSON text, lossless or not at all. A value whose JSON form would
 * decode differently (a `Date`, `Map`, `Set`, typed array, `NaN`/`Infinity`, an `undefined` or
 * a hole in an array, any object with its own `toJSON`) throws, so it is returned to the caller
 * but not stored, and so does a class instance anywhere in the value (a hit would return a plain
 * object: no methods or getters, and class-transformer's `@Exclude()` would no longer hide its
 * fields). Object members that are `undefined` (or functions) are left out, as JSON does.
 *
 * Safe for untrusted Redis contents: it never revives code, and values with a `__proto__`,
 * `constructor` or `prototype` key are neither written nor read (a stored entry with one is
 * refused, i.e. read as a miss), so nothing planted in Redis can feed prototype pollution into
 * code that merges cached objects, and real data with such keys is never silently cut.
 *
 * @example RedisCacheModule.forRoot({ serializer: new JsonSerializer() })
 */
export class JsonSerializer extends CacheSerializer {
  readonly id = 'json';

  serialize(value: unknown): string {
    const text = JSON.stringify(value, refuseLossy);
    // JSON.stringify returns undefined for functions/symbols: not cacheable.
    if (text === undefined) throw new TypeError(`a value of type ${typeof value} has no JSON form`);
    return text;
  }

  deserialize(raw: Buffer): unknown {
    return this.deserializeText(raw.toString('utf8'));
  }

  override deserializeText(text: string): unknown {
    // The reviver costs ~3x on every parse; only pay it when a dangerous key may be present,
    // spelled out or hidden behind \u escapes (which JSON.stringify itself almost never writes).
    return suspicious(text) ? JSON.parse(text, refuseDangerousKeys) : JSON.parse(text);
  }
}

import { CacheSerializer } from './cache.serializer.js';

const DANGEROUS_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

const SUSPICIOUS = /__proto__|constructor|prototype|\\u/;

function dropDangerousKeys(key: string, value: unknown): unknown {
  return DANGEROUS_KEYS.has(key) ? undefined : value;
}

/**
 * The default serializer: JSON text. Safe for untrusted Redis contents: it never revives code,
 * and it strips `__proto__` / `constructor` / `prototype` keys so a value planted in Redis
 * cannot feed prototype pollution into code that merges cached objects.
 *
 * JSON does not round-trip `Date`, `Map`, `Set`, `BigInt` or `undefined` members; use
 * {@link V8Serializer} for those.
 *
 * @example RedisCacheModule.forRoot({ serializer: new JsonSerializer() })
 */
export class JsonSerializer extends CacheSerializer {
  readonly id = 'json';

  serialize(value: unknown): string {
    const text = JSON.stringify(value);
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
    return SUSPICIOUS.test(text) ? JSON.parse(text, dropDangerousKeys) : JSON.parse(text);
  }
}

/**
 * Encodes any key-able value as text, deterministically and without collisions between
 * values of different shape: object keys are sorted, strings are quoted, and every non-JSON
 * type carries a tag (`1n`, `D(…)`, `Map{…}`). Used for keys omitted by the user (the whole
 * argument list) and for objects interpolated into key templates.
 *
 * Throws a `TypeError` for values that have no stable identity (functions, symbols, cycles);
 * the caller treats that as "cannot cache this call".
 */
export function encodeStableValue(value: unknown): string {
  return encode(value, new Set());
}

function encode(value: unknown, ancestors: Set<object>): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? String(value) : `Num(${String(value)})`;
    case 'bigint':
      return `${value}n`;
    case 'boolean':
      return value ? 'true' : 'false';
    case 'undefined':
      return 'undefined';
    case 'object':
      return value === null ? 'null' : encodeObject(value, ancestors);
    default:
      throw new TypeError(`a ${typeof value} cannot be part of a cache key`);
  }
}

function encodeObject(value: object, ancestors: Set<object>): string {
  if (ancestors.has(value)) throw new TypeError('a cyclic value cannot be part of a cache key');
  if (value instanceof Date) return `D(${Number.isNaN(value.getTime()) ? 'invalid' : value.toISOString()})`;
  if (ArrayBuffer.isView(value)) return `B(${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64')})`;
  if (value instanceof ArrayBuffer) return `AB(${Buffer.from(value).toString('base64')})`;
  if (value instanceof RegExp) return `R(${String(value)})`;
  ancestors.add(value);
  try {
    if (Array.isArray(value)) {
      // An index loop, not map(): map skips holes, which would make `new Array(1)` equal `[]`.
      const items: string[] = [];
      for (let i = 0; i < value.length; i++) items.push(i in value ? encode(value[i], ancestors) : 'hole');
      return `[${items.join(',')}]`;
    }
    if (value instanceof Map) {
      const entries = [...value].map(([k, v]) => `${encode(k, ancestors)}:${encode(v, ancestors)}`);
      return `Map{${entries.sort().join(',')}}`;
    }
    if (value instanceof Set) return `Set[${[...value].map((item) => encode(item, ancestors)).sort().join(',')}]`;
    const toJSON = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') return `J(${encode(toJSON.call(value), ancestors)})`;
    const record = value as Record<string, unknown>;
    const parts: string[] = [];
    // Members that are undefined are skipped, as JSON does: `{ a: undefined }` and `{}` are one key.
    for (const key of Object.keys(record).sort()) {
      if (record[key] !== undefined) parts.push(`${JSON.stringify(key)}:${encode(record[key], ancestors)}`);
    }
    const prototype: unknown = Object.getPrototypeOf(value);
    const tag = prototype === Object.prototype || prototype === null ? '' : (value.constructor?.name ?? '');
    return `${tag}{${parts.join(',')}}`;
  } finally {
    ancestors.delete(value);
  }
}

/**
 * Encodes any key-able value as text, deterministically and without collisions between
 * values of different shape: object keys are sorted, strings are quoted, and every non-JSON
 * type carries a tag (`1n`, `D(…)`, `Map{…}`). Used for keys omitted by the user (the whole
 * argument list) and for objects interpolated into key templates.
 *
 * A value with a serialisation of its own uses it (`toJSON`, as `Date`, `URL` and Mongoose
 * documents have; `URLSearchParams#toString`; the bytes of a `Buffer`).
 *
 * Throws a `TypeError` for values that have no stable identity (functions, symbols, cycles,
 * class instances with no enumerable state); the caller treats that as "cannot cache this call".
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
  if (ArrayBuffer.isView(value))
    return `B(${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64')})`;
  if (value instanceof ArrayBuffer) return `AB(${Buffer.from(value).toString('base64')})`;
  if (value instanceof RegExp) return `R(${String(value)})`;
  // Its pairs are internal slots, invisible to Object.keys: its own text form is its identity.
  if (value instanceof URLSearchParams) return `USP(${JSON.stringify(value.toString())})`;
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
    if (value instanceof Set)
      return `Set[${[...value]
        .map((item) => encode(item, ancestors))
        .sort()
        .join(',')}]`;
    const toJSON = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') return `J(${encode(toJSON.call(value), ancestors)})`;
    const record = value as Record<string, unknown>;
    const prototype: unknown = Object.getPrototypeOf(value);
    const plain = prototype === Object.prototype || prototype === null;
    // A class instance's state may sit behind getters over #private fields (`get tenant()`): the
    // getters its classes define count as members, as key templates read them too.
    const names = plain ? Object.keys(record) : [...new Set([...Object.keys(record), ...getterNames(prototype)])];
    const parts: string[] = [];
    // Members that are undefined are skipped, as JSON does: `{ a: undefined }` and `{}` are one key.
    for (const key of names.sort()) {
      if (record[key] !== undefined) parts.push(`${JSON.stringify(key)}:${encode(record[key], ancestors)}`);
    }
    // A class instance with no enumerable state (only #private fields, internal slots, or
    // state behind getters) would encode as `User{}` for every instance: no identity at all.
    if (!plain && parts.length === 0) {
      throw new TypeError(
        `a ${value.constructor?.name ?? 'class'} instance with no enumerable state has no stable identity for a cache key`,
      );
    }
    const tag = plain ? '' : (value.constructor?.name ?? '');
    return `${tag}{${parts.join(',')}}`;
  } finally {
    ancestors.delete(value);
  }
}

/** Names of the getters defined by the classes of an instance (below Object.prototype). */
function getterNames(prototype: unknown): string[] {
  const names: string[] = [];
  for (let level = prototype; level !== null && level !== Object.prototype; level = Object.getPrototypeOf(level)) {
    for (const [name, descriptor] of Object.entries(Object.getOwnPropertyDescriptors(level))) {
      if (typeof descriptor.get === 'function' && name !== '__proto__') names.push(name);
    }
  }
  return names;
}

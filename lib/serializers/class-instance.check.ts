/**
 * Constructors whose instances the built-in serializers bring back as instances of the same
 * kind (each serializer still refuses the ones its format cannot carry, e.g. JSON and `Map`).
 */
const BUILT_INS: ReadonlySet<unknown> = new Set<unknown>([
  Array,
  Date,
  Map,
  Set,
  RegExp,
  Error,
  ArrayBuffer,
  DataView,
  Buffer,
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
  String,
  Number,
  Boolean,
]);

/**
 * The class name of `value` when it is an instance of a class of the application's (or a
 * subclass of a built-in): no serializer here brings its prototype back, so a hit would return
 * a plain object where the method returned an instance, without its methods and getters, and
 * with decorators such as class-transformer's `@Exclude()` no longer applying to it (a field
 * the app hides on a miss would be sent on a hit). `undefined` for plain data and built-ins.
 */
export function classInstanceName(value: object): string | undefined {
  if (isPlainRecord(value)) return undefined;
  const ctor = (Object.getPrototypeOf(value) as { constructor?: unknown }).constructor;
  if (BUILT_INS.has(ctor)) return undefined;
  return typeof ctor === 'function' && ctor.name ? ctor.name : 'an object with a prototype of its own';
}

/** A null-prototype object, or a plain object of any realm (its prototype is a root). */
export function isPlainRecord(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === null || Object.getPrototypeOf(proto) === null;
}

/**
 * {@link classInstanceName} of the first class instance anywhere in `root` (array items, own
 * enumerable members, `Map` keys and values, `Set` members; cycles visited once).
 */
export function findClassInstance(root: unknown): string | undefined {
  if (typeof root !== 'object' || root === null) return undefined;
  const seen = new Set<object>();
  const stack: object[] = [root];
  while (stack.length > 0) {
    const value = stack.pop()!;
    if (seen.has(value)) continue;
    seen.add(value);
    const name = classInstanceName(value);
    if (name !== undefined) return name;
    // Binary data, dates and patterns hold no objects of their own (and a typed array's members are many).
    if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer || value instanceof Date || value instanceof RegExp)
      continue;
    const children: Iterable<unknown> =
      value instanceof Map ? [...value.keys(), ...value.values()] : value instanceof Set ? value : Object.values(value);
    for (const child of children) if (typeof child === 'object' && child !== null) stack.push(child);
  }
  return undefined;
}

/** The serializers' error for a class instance: what is lost, and the two ways to cache the data. */
export function classInstanceRefusal(name: string): TypeError {
  return new TypeError(
    `the value holds an instance of ${name}; a cache hit would return a plain object without its class (methods, getters, class-transformer @Exclude), so it is not cached. Return plain data from the cached method (e.g. instanceToPlain(entity)), or cache the route with ReadThroughInterceptor, which stores the response as sent`,
  );
}

import { types } from 'node:util';

/** Native error constructors, by name: `types.isNativeError` is also true of an application's subclasses. */
const NATIVE_ERRORS = new Set([
  'Error',
  'TypeError',
  'RangeError',
  'SyntaxError',
  'ReferenceError',
  'EvalError',
  'URIError',
  'AggregateError',
]);

/**
 * The class name of `value` when it is an instance of a class of the application's (or a
 * subclass of a built-in): no serializer here brings its prototype back, so a hit would return
 * a plain object where the method returned an instance, without its methods and getters, and
 * with decorators such as class-transformer's `@Exclude()` no longer applying to it (a field
 * the app hides on a miss would be sent on a hit). `undefined` for plain data and built-ins
 * (each serializer still refuses the ones its format cannot carry, e.g. JSON and `Map`).
 *
 * Realm-independent: arrays and built-ins made by another realm (`node:vm`, and Node's own
 * `structuredClone`, `v8.deserialize` or `fs` results inside Jest's module sandbox) pass too.
 */
export function classInstanceName(value: object): string | undefined {
  const proto = Object.getPrototypeOf(value) as object | null;
  // The common cases first: this realm's plain objects and arrays (this runs per object written).
  if (proto === Object.prototype || proto === Array.prototype || proto === null) return undefined;
  if (isRootPrototype(proto) || isBuiltIn(value, proto)) return undefined;
  const ctor = (proto as { constructor?: unknown }).constructor;
  const name = typeof ctor === 'function' ? ctor.name : '';
  return name && name !== 'Object' ? name : 'an object with a prototype of its own';
}

/** A null-prototype object, or a plain object of any realm. */
export function isPlainRecord(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as object | null;
  return proto === null || proto === Object.prototype || isRootPrototype(proto);
}

/** Some realm's `Object.prototype` (not merely an object without a prototype, which may hold data). */
function isRootPrototype(proto: object): boolean {
  return (
    Object.getPrototypeOf(proto) === null &&
    Object.hasOwn(proto, 'isPrototypeOf') &&
    Object.hasOwn(proto, 'hasOwnProperty')
  );
}

/** Whether `proto` sits directly on a root: the value is a built-in's own instance, not a subclass's. */
function onRoot(proto: object | null): boolean {
  const parent = proto && (Object.getPrototypeOf(proto) as object | null);
  return !!parent && isRootPrototype(parent);
}

/** An array, date, map, set, pattern, native error, binary data or boxed primitive of any realm, not subclassed. */
function isBuiltIn(value: object, proto: object): boolean {
  // Binary data: Buffer and every typed array (their prototypes are two or three levels deep).
  if (types.isAnyArrayBuffer(value) || ArrayBuffer.isView(value)) return true;
  if (Array.isArray(value)) return Array.isArray(proto) && onRoot(proto);
  if (types.isDate(value) || types.isMap(value) || types.isSet(value) || types.isRegExp(value)) return onRoot(proto);
  if (types.isBoxedPrimitive(value)) return onRoot(proto);
  if (!types.isNativeError(value)) return false;
  const name = (proto as { constructor?: { name?: unknown } }).constructor?.name;
  if (typeof name !== 'string' || !NATIVE_ERRORS.has(name)) return false;
  // Error itself, or TypeError & co. one level above Error.prototype.
  return onRoot(proto) || onRoot(Object.getPrototypeOf(proto) as object | null);
}

/**
 * {@link classInstanceName} of the first class instance anywhere in `root` (array items, own
 * enumerable members, `Map` keys and values, `Set` members, an error's `cause` and `errors`;
 * cycles visited once).
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
    if (types.isAnyArrayBuffer(value) || ArrayBuffer.isView(value) || types.isDate(value) || types.isRegExp(value))
      continue;
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) pushObject(stack, value[i]);
    } else if (types.isMap(value)) {
      for (const [k, v] of value as Map<unknown, unknown>) {
        pushObject(stack, k);
        pushObject(stack, v);
      }
    } else if (types.isSet(value)) {
      for (const member of value as Set<unknown>) pushObject(stack, member);
    } else {
      for (const member of Object.values(value)) pushObject(stack, member);
      // v8 and msgpack keep an error's cause (and an AggregateError's errors), which are not enumerable.
      if (types.isNativeError(value)) {
        pushObject(stack, (value as { cause?: unknown }).cause);
        pushObject(stack, (value as { errors?: unknown }).errors);
      }
    }
  }
  return undefined;
}

function pushObject(stack: object[], candidate: unknown): void {
  if (typeof candidate === 'object' && candidate !== null) stack.push(candidate);
}

/** The serializers' error for a class instance: what is lost, and the two ways to cache the data. */
export function classInstanceRefusal(name: string): TypeError {
  return new TypeError(
    `the value holds an instance of ${name}; a cache hit would return a plain object without its class (methods, getters, class-transformer @Exclude), so it is not cached. Return plain data from the cached method (e.g. instanceToPlain(entity)), or cache the route with ReadThroughInterceptor, which stores the response as sent`,
  );
}

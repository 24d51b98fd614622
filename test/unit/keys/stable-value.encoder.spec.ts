import fc from 'fast-check';
import { encodeStableValue } from '../../../lib/keys/stable-value.encoder.js';

/** True when both values encode without throwing and give the same text (a key collision). */
function collide(a: unknown, b: unknown): boolean {
  let ea: string;
  let eb: string;
  try {
    ea = encodeStableValue(a);
    eb = encodeStableValue(b);
  } catch (error) {
    // Refusing a value ("cannot cache this call") is allowed; it is never a collision.
    if (error instanceof TypeError) return false;
    throw error;
  }
  return ea === eb;
}

/**
 * Equality of JSON values as the encoder is meant to see them. Decisions:
 * - object key order does not matter;
 * - `-0` and `0` are equal (as in JSON, `JSON.stringify(-0) === '0'`, and as in a URL);
 * - arrays compare by position and length.
 * `fc.jsonValue()` never produces `undefined` members, so the documented rule
 * `{ a: undefined }` ≡ `{}` is tested separately.
 */
function jsonEqual(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number') return a === b;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return a === b;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, i) => jsonEqual(item, b[i]));
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const ka = Object.keys(ra).sort();
  const kb = Object.keys(rb).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && jsonEqual(ra[k], rb[k]));
}

/** A deep copy of a JSON value with every object's keys inserted in reverse order. */
function reverseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reverseKeys);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).reverse()) {
    Object.defineProperty(out, key, {
      value: reverseKeys((value as Record<string, unknown>)[key]),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

describe('encodeStableValue', () => {
  describe('objects', () => {
    it('does not depend on key order, at any depth', () => {
      expect(encodeStableValue({ b: 1, a: 2 })).toBe(encodeStableValue({ a: 2, b: 1 }));
      expect(encodeStableValue([{ y: { q: 1, p: 2 }, x: 0 }])).toBe(encodeStableValue([{ x: 0, y: { p: 2, q: 1 } }]));
    });

    it('encodes a plain object as JSON with sorted keys', () => {
      expect(encodeStableValue({ b: 'x', a: [1, null] })).toBe('{"a":[1,null],"b":"x"}');
    });

    it('tells different values apart', () => {
      expect(collide({ a: 1 }, { a: 2 })).toBe(false);
      expect(collide({ a: 1 }, { b: 1 })).toBe(false);
      expect(collide({ a: { b: 1 } }, { 'a.b': 1 })).toBe(false);
      expect(collide({ 'a":1,"b': 2 }, { a: 1, b: 2 })).toBe(false);
    });

    it('skips undefined members, as JSON does (documented: { a: undefined } and {} share a key)', () => {
      expect(encodeStableValue({ a: undefined, b: 1 })).toBe(encodeStableValue({ b: 1 }));
    });

    it('keeps undefined array items, which hold a position', () => {
      expect(collide([undefined], [])).toBe(false);
      expect(collide([undefined], [null])).toBe(false);
      expect(collide([1, undefined], [1])).toBe(false);
    });

    it('treats a null-prototype object like a plain object', () => {
      const bare = Object.assign(Object.create(null) as object, { a: 1 });
      expect(encodeStableValue(bare)).toBe(encodeStableValue({ a: 1 }));
    });

    it('ignores symbol-keyed members and non-enumerable members', () => {
      const withHidden = { a: 1, [Symbol('s')]: 2 };
      Object.defineProperty(withHidden, 'hidden', { value: 3, enumerable: false });
      expect(encodeStableValue(withHidden)).toBe(encodeStableValue({ a: 1 }));
    });
  });

  describe('primitives', () => {
    it('distinguishes 1, "1", 1n, true, "true", null, "null", undefined and "undefined"', () => {
      const values = [
        1,
        '1',
        1n,
        true,
        'true',
        false,
        'false',
        null,
        'null',
        undefined,
        'undefined',
        0,
        '0',
        0n,
        '',
        '1n',
      ];
      const encodings = values.map((v) => encodeStableValue(v));
      expect(new Set(encodings).size).toBe(values.length);
    });

    it('distinguishes NaN, Infinity and -Infinity from each other and from their texts', () => {
      const values = [NaN, Infinity, -Infinity, 'NaN', 'Infinity', '-Infinity', 'Num(NaN)', null];
      expect(new Set(values.map((v) => encodeStableValue(v))).size).toBe(values.length);
    });

    it('gives -0 and 0 one encoding (JSON semantics)', () => {
      expect(encodeStableValue(-0)).toBe(encodeStableValue(0));
    });

    it('quotes strings so that no string looks like another type', () => {
      expect(encodeStableValue('a"b')).toBe(JSON.stringify('a"b'));
      expect(collide('{}', {})).toBe(false);
      expect(collide('[]', [])).toBe(false);
    });

    it('writes lone surrogates as escapes, so the text is well-formed UTF-16', () => {
      const encoded = encodeStableValue('\uD800x');
      expect(Buffer.from(encoded).toString()).toBe(encoded);
      expect(collide('\uD800', '\uDBFF')).toBe(false);
    });
  });

  describe('other built-ins', () => {
    it('encodes a Date by its instant', () => {
      expect(encodeStableValue(new Date(1_700_000_000_000))).toBe(encodeStableValue(new Date(1_700_000_000_000)));
      expect(collide(new Date(1), new Date(2))).toBe(false);
      expect(collide(new Date(0), new Date(0).toISOString())).toBe(false);
      expect(collide(new Date(0), 0)).toBe(false);
    });

    it('encodes an invalid Date without throwing, apart from every valid one', () => {
      expect(() => encodeStableValue(new Date(NaN))).not.toThrow();
      expect(collide(new Date(NaN), new Date(0))).toBe(false);
    });

    it('encodes a Map independently of insertion order, and apart from an object', () => {
      const forward = new Map<unknown, unknown>([
        ['a', 1],
        ['b', 2],
      ]);
      const backward = new Map<unknown, unknown>([
        ['b', 2],
        ['a', 1],
      ]);
      expect(encodeStableValue(forward)).toBe(encodeStableValue(backward));
      expect(collide(forward, { a: 1, b: 2 })).toBe(false);
      expect(collide(new Map([[1, 'x']]), new Map([['1', 'x']]))).toBe(false);
      expect(collide(new Map([['a', 1]]), new Map([['a', 2]]))).toBe(false);
    });

    it('encodes a Set independently of insertion order, and apart from an array', () => {
      expect(encodeStableValue(new Set([3, 1, 2]))).toBe(encodeStableValue(new Set([1, 2, 3])));
      expect(collide(new Set([1, 2]), [1, 2])).toBe(false);
      expect(collide(new Set([1]), new Set(['1']))).toBe(false);
      expect(collide(new Set([1]), new Set([1, 2]))).toBe(false);
    });

    it('encodes a Buffer by its bytes', () => {
      expect(encodeStableValue(Buffer.from([1, 2, 3]))).toBe(encodeStableValue(Buffer.from([1, 2, 3])));
      expect(collide(Buffer.from([1, 2, 3]), Buffer.from([1, 2, 4]))).toBe(false);
      expect(collide(Buffer.from('abc'), 'abc')).toBe(false);
      expect(collide(Buffer.from('abc'), [97, 98, 99])).toBe(false);
    });

    it('encodes only the viewed bytes of a Buffer that shares a larger ArrayBuffer', () => {
      const pool = Buffer.from([9, 1, 2, 9]);
      expect(encodeStableValue(pool.subarray(1, 3))).toBe(encodeStableValue(Buffer.from([1, 2])));
    });

    it('uses toJSON when a value has one, apart from the plain result', () => {
      const url = new URL('https://example.com/a?b=1');
      expect(encodeStableValue(url)).toBe(encodeStableValue(new URL('https://example.com/a?b=1')));
      expect(collide(url, new URL('https://example.com/a?b=2'))).toBe(false);
      expect(collide(url, url.toString())).toBe(false);
    });
  });

  describe('class instances', () => {
    class Point {
      constructor(
        readonly x: number,
        readonly y: number,
      ) {}
    }
    class Vector {
      constructor(
        readonly x: number,
        readonly y: number,
      ) {}
    }

    it('encodes equal instances of one class alike, whatever the member order', () => {
      const p = new Point(1, 2);
      const q = Object.assign(Object.create(Point.prototype) as Point, { y: 2, x: 1 });
      expect(encodeStableValue(p)).toBe(encodeStableValue(q));
      expect(collide(new Point(1, 2), new Point(2, 1))).toBe(false);
    });

    it('keeps instances apart from plain objects and from other classes', () => {
      expect(collide(new Point(1, 2), { x: 1, y: 2 })).toBe(false);
      expect(collide(new Point(1, 2), new Vector(1, 2))).toBe(false);
    });
  });

  describe('values without a stable identity', () => {
    it('throws a TypeError for cycles, direct or nested', () => {
      const self: Record<string, unknown> = { a: 1 };
      self.self = self;
      const list: unknown[] = [1];
      list.push({ back: list });
      const map = new Map<string, unknown>();
      map.set('m', map);
      expect(() => encodeStableValue(self)).toThrow(TypeError);
      expect(() => encodeStableValue(list)).toThrow(TypeError);
      expect(() => encodeStableValue(map)).toThrow(TypeError);
    });

    it('accepts the same object twice when it is shared, not cyclic', () => {
      const shared = { a: 1 };
      expect(encodeStableValue([shared, shared])).toBe(encodeStableValue([{ a: 1 }, { a: 1 }]));
      expect(encodeStableValue({ x: shared, y: shared })).toBe('{"x":{"a":1},"y":{"a":1}}');
    });

    it('throws a TypeError for functions and symbols, also when nested', () => {
      expect(() => encodeStableValue(() => 1)).toThrow(TypeError);
      expect(() => encodeStableValue(Symbol('s'))).toThrow(TypeError);
      expect(() => encodeStableValue({ cb: () => 1 })).toThrow(TypeError);
      expect(() => encodeStableValue([1, Symbol.iterator])).toThrow(TypeError);
      expect(() => encodeStableValue(new Map([['k', () => 1]]))).toThrow(TypeError);
    });
  });

  describe('values whose content is not in their enumerable members', () => {
    // Each pair holds two different values; encoding them alike would serve one call the
    // cached result of the other. Throwing a TypeError ("not cacheable") would be fine too.
    it('tells a sparse array from an empty one (new Array(1) vs [])', () => {
      expect(collide(new Array(1), [])).toBe(false);
    });

    it('tells two regular expressions apart (/a/ vs /b/)', () => {
      expect(collide(/a/, /b/)).toBe(false);
    });

    it('tells two ArrayBuffers with different contents apart', () => {
      expect(collide(new Uint8Array([1]).buffer, new Uint8Array([2]).buffer)).toBe(false);
    });
  });

  describe('property: JSON values share an encoding exactly when they are equal', () => {
    it('holds for arbitrary pairs of JSON values', () => {
      fc.assert(
        fc.property(fc.jsonValue(), fc.jsonValue(), (a, b) => {
          expect(encodeStableValue(a) === encodeStableValue(b)).toBe(jsonEqual(a, b));
        }),
        { numRuns: 1000 },
      );
    });

    it('holds for pairs drawn from a tiny domain (where equal and near-equal pairs are frequent)', () => {
      const leaf = fc.oneof(
        fc.constantFrom<unknown>(0, -0, 1, -1, 1.5, 10, true, false, null),
        fc.constantFrom('', '0', '1', 'a', ':', ',', '"', '\\', '{}', '[]', 'null', 'true', '"a":1', '\uD800'),
      );
      const { value } = fc.letrec<{ value: unknown }>((tie) => ({
        value: fc.oneof(
          { depthSize: 'small', withCrossShrink: true },
          leaf,
          fc.array(tie('value'), { maxLength: 3 }),
          fc.dictionary(fc.constantFrom('a', 'b', '', '"', 'a:b', '__proto__'), tie('value'), { maxKeys: 3 }),
        ),
      }));
      fc.assert(
        fc.property(value, value, (a, b) => {
          expect(encodeStableValue(a) === encodeStableValue(b)).toBe(jsonEqual(a, b));
        }),
        { numRuns: 3000 },
      );
    });

    it('is independent of key insertion order', () => {
      fc.assert(
        fc.property(fc.jsonValue(), (a) => {
          expect(encodeStableValue(reverseKeys(a))).toBe(encodeStableValue(a));
        }),
        { numRuns: 1000 },
      );
    });
  });
});

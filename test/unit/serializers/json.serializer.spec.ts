import { JsonSerializer } from '../../../lib/serializers/json.serializer.js';

const decode = (text: string): unknown => new JsonSerializer().deserialize(Buffer.from(text, 'utf8'));

describe('JsonSerializer', () => {
  const serializer = new JsonSerializer();

  it("has the id 'json'", () => {
    expect(serializer.id).toBe('json');
  });

  it('writes JSON text and reads it back', () => {
    const value = { id: 7, name: 'Ada', tags: ['a', 'b'], nested: { ok: true, ratio: 0.25 }, none: null };
    const text = serializer.serialize(value);
    expect(JSON.parse(text)).toEqual(value);
    expect(serializer.deserialize(Buffer.from(text))).toEqual(value);
  });

  it.each<[string, unknown]>([
    ['undefined', undefined],
    ['a function', () => 1],
    ['a symbol', Symbol('s')],
  ])('refuses %s (no JSON form) with a TypeError', (_, value) => {
    expect(() => serializer.serialize(value)).toThrow(TypeError);
  });

  it('refuses a BigInt', () => {
    expect(() => serializer.serialize({ n: 1n })).toThrow(TypeError);
  });

  describe('dangerous keys in stored text: the entry is refused, never trimmed', () => {
    afterEach(() => {
      // Never leave a polluted prototype behind for other tests, whatever happened.
      delete (Object.prototype as Record<string, unknown>).polluted;
    });

    it.each([
      ['__proto__', '{"__proto__":{"polluted":1},"a":1}'],
      ['constructor at depth', '{"a":{"constructor":{"prototype":{"polluted":1}}},"d":"e"}'],
      ['prototype in an array item', '{"b":[{"prototype":2,"c":3}]}'],
      ['__proto__ behind JSON escapes', '{"\\u005f_proto__":{"polluted":1},"a":1}'],
      ['constructor behind JSON escapes', '{"\\u0063onstructor":{"name":"Forged"},"a":1}'],
      ['prototype behind a JSON escape in its middle', '{"x":[{"prot\\u006ftype":{"polluted":1}}]}'],
      ['__proto__ as the last key of deep nesting', '{"a":[[[{"b":{"__proto__":{"polluted":1}}}]]]}'],
      ['constructor as the only key', '{"constructor":1}'],
    ])('throws for %s (the envelope turns that into a refused entry) and leaves Object.prototype alone', (_, text) => {
      expect(() => decode(text)).toThrow(/could pollute prototypes/);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });

    it('keeps the words as values, and keys that only contain them', () => {
      const value = decode('{"a":"__proto__","list":["constructor","prototype"],"my__proto__":1,"constructors":2}');
      expect(value).toEqual({ a: '__proto__', list: ['constructor', 'prototype'], my__proto__: 1, constructors: 2 });
    });
  });

  describe('lossless or not at all', () => {
    it('refuses to write real data with constructor/prototype/__proto__ keys instead of dropping them', () => {
      expect(() => serializer.serialize({ constructor: 3, prototype: 1, the: 10 })).toThrow(/"constructor" key/);
      expect(() => serializer.serialize({ words: [{ prototype: 1 }] })).toThrow(/"prototype" key/);
      const own = JSON.parse('{"__proto__":1}') as unknown;
      expect(() => serializer.serialize({ nested: own })).toThrow(/"__proto__" key/);
    });

    it.each<[string, unknown]>([
      ['a Date', { at: new Date(0) }],
      ['a Map', new Map([['a', 1]])],
      ['a Set', { s: new Set([1]) }],
      ['a Buffer', { b: Buffer.from('x') }],
      ['a typed array', [new Uint8Array(2)]],
      ['NaN', { n: NaN }],
      ['Infinity', [Infinity]],
      ['an undefined array item', [1, undefined]],
      // eslint-disable-next-line no-sparse-arrays -- the hole is the case under test
      ['an array hole', [1, , 3]],
      ['a function in an array', [() => 1]],
      ['an object with its own toJSON', { v: { toJSON: () => 'other' } }],
      ['a boxed string', { s: new String('x') }],
      ['a RegExp', { pattern: /a+/g }],
      ['an Error', [new Error('boom')]],
    ])('refuses %s, which JSON would hand back as another value', (_, value) => {
      expect(() => serializer.serialize(value)).toThrow(/would not come back from JSON/);
    });

    it('writes what round-trips: plain data, nested arrays, null, strings with lone surrogates, null-prototype objects', () => {
      const bare = Object.assign(Object.create(null) as object, { k: 1 });
      for (const value of [
        { a: [1, [2, null]], s: 'x\uD800y', n: -1.5, t: true },
        [null, 'a', 0],
        bare,
        'text',
        3,
        null,
      ]) {
        expect(JSON.stringify(serializer.deserializeText(serializer.serialize(value)))).toBe(JSON.stringify(value));
      }
    });

    it('refuses a class instance anywhere in the value (a hit would hand back a plain object), naming the class and the fix', () => {
      class Point {
        constructor(
          readonly x: number,
          readonly y: number,
        ) {}
      }
      class Row extends Array<number> {}
      for (const [value, name] of [
        [new Point(1, 2), 'Point'],
        [{ page: [{ at: new Point(1, 2) }] }, 'Point'],
        [Row.from([1, 2]), 'Row'],
      ] as const) {
        expect(() => serializer.serialize(value)).toThrow(`an instance of ${name}`);
        expect(() => serializer.serialize(value)).toThrow(/instanceToPlain/);
      }
    });
  });

  it('throws on text that is not JSON (the envelope turns that into a miss)', () => {
    expect(() => decode('{not json')).toThrow(SyntaxError);
    expect(() => decode('')).toThrow(SyntaxError);
  });
});

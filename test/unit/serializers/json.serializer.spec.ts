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

  describe('dangerous keys in stored text', () => {
    afterEach(() => {
      // Never leave a polluted prototype behind for other tests, whatever happened.
      delete (Object.prototype as Record<string, unknown>).polluted;
    });

    it('strips __proto__ and leaves Object.prototype alone', () => {
      const value = decode('{"__proto__":{"polluted":1},"a":1}') as Record<string, unknown>;
      expect(value).toEqual({ a: 1 });
      expect(Object.keys(value)).toEqual(['a']);
      expect(Object.prototype.hasOwnProperty.call(value, '__proto__')).toBe(false);
      expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });

    it('strips constructor and prototype keys, at any depth', () => {
      const value = decode('{"a":{"constructor":{"prototype":{"polluted":1}},"b":[{"prototype":2,"c":3}]},"d":"e"}');
      expect(value).toEqual({ a: { b: [{ c: 3 }] }, d: 'e' });
    });

    it('keeps the words as values, and keys that only contain them', () => {
      const value = decode('{"a":"__proto__","list":["constructor","prototype"],"my__proto__":1,"constructors":2}');
      expect(value).toEqual({ a: '__proto__', list: ['constructor', 'prototype'], my__proto__: 1, constructors: 2 });
    });

    it('keeps ordinary values when a dangerous key is present elsewhere', () => {
      const value = decode('{"__proto__":null,"n":1.5,"s":"x","t":true,"z":null,"arr":[1,[2]],"o":{}}');
      expect(value).toEqual({ n: 1.5, s: 'x', t: true, z: null, arr: [1, [2]], o: {} });
    });

    it('strips a __proto__ key written with JSON escapes ("\\u005f_proto__")', () => {
      // JSON.parse reads "\u005f_proto__" as the key "__proto__"; the stored text never
      // contains the literal "__proto__", so a check on the raw text alone does not see it.
      const value = decode('{"\\u005f_proto__":{"polluted":1},"a":1}') as Record<string, unknown>;
      expect(Object.prototype.hasOwnProperty.call(value, '__proto__')).toBe(false);
      expect(value).toEqual({ a: 1 });
    });

    it('strips a constructor key written with JSON escapes ("\\u0063onstructor")', () => {
      const value = decode('{"\\u0063onstructor":{"name":"Forged"},"a":1}') as Record<string, unknown>;
      expect(Object.prototype.hasOwnProperty.call(value, 'constructor')).toBe(false);
      expect(value).toEqual({ a: 1 });
    });
  });

  it('throws on text that is not JSON (the envelope turns that into a miss)', () => {
    expect(() => decode('{not json')).toThrow(SyntaxError);
    expect(() => decode('')).toThrow(SyntaxError);
  });
});

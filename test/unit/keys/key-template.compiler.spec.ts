import fc from 'fast-check';
import { compileKeyTemplate, MissingKeyValueError, parseKeyTemplate } from '../../../lib/keys/key-template.compiler.js';

/** Redis keys are bytes: compare what node-redis would send (UTF-8), not JS strings. */
const sameBytes = (a: string, b: string): boolean => Buffer.from(a, 'utf8').equals(Buffer.from(b, 'utf8'));
const isWellFormed = (s: string): boolean => Buffer.from(s, 'utf8').toString('utf8') === s;

describe('parseKeyTemplate', () => {
  it('splits a template into literals and placeholder paths', () => {
    expect(parseKeyTemplate('user:{0.id}:{1}')).toEqual({ literals: ['user:', ':', ''], paths: [['0', 'id'], ['1']] });
  });

  it('trims blanks inside a placeholder', () => {
    expect(parseKeyTemplate('a:{ 0.id }')).toEqual({ literals: ['a:', ''], paths: [['0', 'id']] });
  });

  it('accepts a template without placeholders', () => {
    expect(parseKeyTemplate('static')).toEqual({ literals: ['static'], paths: [] });
  });
});

describe('compileKeyTemplate', () => {
  describe('interpolation', () => {
    it('reads a positional argument', () => {
      expect(compileKeyTemplate('route:{0}')(['52.5,13.4'])).toBe('route:52.5,13.4');
    });

    it('reads a property of an argument and a second argument', () => {
      expect(compileKeyTemplate('user:{0.id}:{1}')([{ id: 'u7' }, 'en'])).toBe('user:u7:en');
    });

    it('follows nested paths, including array indexes', () => {
      const key = compileKeyTemplate('n:{0.a.b.c}-{1.1}');
      expect(key([{ a: { b: { c: 'deep' } } }, ['x', 'y']])).toBe('n:deep-y');
    });

    it('returns the template unchanged when it has no placeholders, whatever the arguments', () => {
      const key = compileKeyTemplate('all-users');
      expect(key([])).toBe('all-users');
      expect(key(['a', { b: 1 }])).toBe('all-users');
    });

    it('interpolates numbers, booleans and bigints in their text form (documented: 1 and "1" share a key)', () => {
      const key = compileKeyTemplate('v:{0}');
      expect(key([42])).toBe('v:42');
      expect(key([42])).toBe(key(['42']));
      expect(key([true])).toBe('v:true');
      expect(key([12345678901234567890n])).toBe('v:12345678901234567890');
    });

    it('interpolates a Date as its ISO string, with ":" escaped', () => {
      expect(compileKeyTemplate('d:{0}')([new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 6))])).toBe(
        'd:2024-01-02T03%3A04%3A05.006Z',
      );
    });

    it('interpolates objects with sorted keys, so key order does not matter', () => {
      const key = compileKeyTemplate('q:{0}');
      expect(key([{ b: 1, a: 2 }])).toBe(key([{ a: 2, b: 1 }]));
      // Stable encoding is {"a":2,"b":1} behind the %j mark; the ":" inside it is escaped like any ":".
      expect(key([{ b: 1, a: 2 }])).toBe('q:%j{"a"%3A2,"b"%3A1}');
    });

    it('never gives an array and the string of its encoding one key', () => {
      const key = compileKeyTemplate('list:{0}');
      expect(key([['1', '2']])).not.toBe(key(['["1","2"]']));
      expect(key([{ a: 1 }])).not.toBe(key(['{"a":1}']));
    });

    it('sorts keys of nested objects too', () => {
      const key = compileKeyTemplate('q:{0}');
      expect(key([{ outer: { z: 1, y: [{ d: 1, c: 2 }] }, a: null }])).toBe(
        key([{ a: null, outer: { y: [{ c: 2, d: 1 }], z: 1 } }]),
      );
      expect(key([{ outer: { z: 1 } }])).not.toBe(key([{ outer: { z: 2 } }]));
    });
  });

  describe('undefined and null', () => {
    const key = compileKeyTemplate('{0}:{1}', 'empty');

    it('marks undefined and null with %u and %0 when missing values are allowed', () => {
      expect(key([undefined, null])).toBe('%u:%0');
    });

    it('treats a missing argument and a missing property as undefined when missing values are allowed', () => {
      expect(key([])).toBe('%u:%u');
      expect(compileKeyTemplate('p:{0.missing.deeper}', 'empty')([{}])).toBe('p:%u');
      expect(compileKeyTemplate('p:{0.x}', 'empty')([null])).toBe('p:%u');
    });

    it('keeps the marks apart from every string, including the texts "undefined", "null", "%u", "%0" and ""', () => {
      const marks = [key([undefined, 'x']), key([null, 'x'])];
      const strings = ['undefined', 'null', '%u', '%0', '', 'u', '0'].map((s) => key([s, 'x']));
      const all = [...marks, ...strings];
      expect(new Set(all).size).toBe(all.length);
    });

    it('by default refuses a placeholder that reads nothing, naming it, so callers are never merged', () => {
      const strict = compileKeyTemplate('user:{0.idd}');
      expect(() => strict([{ id: 'alice' }])).toThrow(MissingKeyValueError);
      expect(() => strict([{ id: 'alice' }])).toThrow('{0.idd}');
      expect(() => compileKeyTemplate('item:{5}')(['only-one'])).toThrow(MissingKeyValueError);
      expect(() => compileKeyTemplate('p:{0.x}')([null])).toThrow(MissingKeyValueError);
    });

    it('keeps null distinct by default (a value, not a missing one)', () => {
      expect(compileKeyTemplate('p:{0.x}')([{ x: null }])).toBe('p:%0');
      expect(compileKeyTemplate('p:{0.x}')([{ x: null }])).not.toBe(compileKeyTemplate('p:{0.x}')([{ x: 'null' }]));
    });
  });

  describe('what a placeholder reads', () => {
    const read = (template: string, arg: unknown): string => compileKeyTemplate(template, 'empty')([arg]);

    it('gives the undefined mark for inherited members such as constructor, toString and hasOwnProperty', () => {
      const undefinedKey = read('p:{0.x}', {});
      for (const member of ['constructor', 'toString', 'hasOwnProperty', 'valueOf', '__proto__']) {
        expect(read(`p:{0.${member}}`, {})).toBe(undefinedKey);
      }
      expect(undefinedKey).toBe('p:%u');
    });

    it('cannot reach Object.prototype through __proto__ or constructor', () => {
      expect(read('p:{0.__proto__.hasOwnProperty}', {})).toBe('p:%u');
      expect(read('p:{0.constructor.name}', {})).toBe('p:%u');
      class Model {}
      expect(read('p:{0.constructor.name}', new Model())).toBe('p:%u');
    });

    it('reads getters a class defines, including ones over #private state', () => {
      class User {
        readonly #id: string;
        constructor(id: string) {
          this.#id = id;
        }
        get id(): string {
          return this.#id;
        }
      }
      expect(compileKeyTemplate('p:{0.id}')([new User('alice')])).toBe('p:alice');
      expect(compileKeyTemplate('p:{0.id}')([new User('alice')])).not.toBe(
        compileKeyTemplate('p:{0.id}')([new User('bob')]),
      );
    });

    it('reads inherited getters (Mongoose-style documents) but never inherited methods', () => {
      class Base {
        constructor(protected readonly doc: { _id: string }) {}
        get id(): string {
          return this.doc._id;
        }
        describe(): string {
          return 'method';
        }
      }
      class Cat extends Base {}
      expect(compileKeyTemplate('c:{0.id}')([new Cat({ _id: 'c1' })])).toBe('c:c1');
      expect(read('c:{0.describe}', new Cat({ _id: 'c1' }))).toBe('c:%u');
    });

    it('reads an own property even when it is named like a prototype member', () => {
      expect(compileKeyTemplate('p:{0.constructor}')([{ constructor: 'own' }])).toBe('p:own');
    });
  });

  describe('escaping', () => {
    it('tells ("a:b","c") and ("a","b:c") apart under "{0}:{1}"', () => {
      const key = compileKeyTemplate('{0}:{1}');
      expect(key(['a:b', 'c'])).toBe('a%3Ab:c');
      expect(key(['a', 'b:c'])).toBe('a:b%3Ac');
    });

    it('always escapes "%" so that a value cannot forge an escape or a mark', () => {
      const key = compileKeyTemplate('{0}:{1}');
      expect(key(['%3A', 'x'])).toBe('%253A:x');
      expect(key(['%3A', 'x'])).not.toBe(key([':', 'x']));
    });

    it('escapes the first character of each separator between placeholders', () => {
      const key = compileKeyTemplate('{0}-{1}');
      expect(key(['a-b', 'c'])).toBe('a%2Db-c');
      expect(key(['a', 'b-c'])).toBe('a-b%2Dc');
    });

    it('escapes a non-ASCII separator as its UTF-8 bytes', () => {
      const key = compileKeyTemplate('{0}→{1}');
      expect(key(['a→b', 'c'])).toBe('a%E2%86%92b→c');
      expect(key(['a', 'b→c'])).toBe('a→b%E2%86%92c');
    });

    it('escapes an astral separator as a whole code point', () => {
      const key = compileKeyTemplate('{0}😀{1}');
      expect(key(['😀', ''])).toBe('%F0%9F%98%80😀');
      expect(key(['', '😀'])).toBe('😀%F0%9F%98%80');
    });

    it('escapes regex-special separators literally', () => {
      for (const sep of ['-', ']', '^', '\\', '[', '.', '*', '|', '/', '$']) {
        const key = compileKeyTemplate(`{0}${sep}{1}`);
        expect(key([`a${sep}b`, 'c'])).not.toBe(key(['a', `b${sep}c`]));
        // A plain letter is never escaped, whatever the separator.
        expect(key(['ab', 'c'])).toBe(`ab${sep}c`);
      }
    });

    it('escapes lone surrogates as %uXXXX, so keys are well-formed and distinct in UTF-8', () => {
      const key = compileKeyTemplate('k:{0}');
      expect(key(['\uD800'])).toBe('k:%uD800');
      expect(key(['x\uDFFFy'])).toBe('k:x%uDFFFy');
      expect(sameBytes(key(['\uD800']), key(['\uDBFF']))).toBe(false);
      expect(isWellFormed(key(['\uD800\uD800']))).toBe(true);
    });

    it('keeps valid surrogate pairs as they are', () => {
      expect(compileKeyTemplate('k:{0}')(['🐈'])).toBe('k:🐈');
    });

    it('does not escape characters that are not separators (only "%", ":" and the separators)', () => {
      expect(compileKeyTemplate('k:{0}')(['a-b/c|d e'])).toBe('k:a-b/c|d e');
    });
  });

  describe('rejected templates', () => {
    it.each([
      ['an empty placeholder', '{}'],
      ['a blank placeholder', 'a:{ }'],
      ['two adjacent placeholders', '{0}{1}'],
      ['a separator starting with a letter', '{0}a{1}'],
      ['a separator starting with an upper-case letter', '{0}Ab{1}'],
      ['a separator starting with a digit', '{0}3{1}'],
      ['a separator starting with %', '{0}%{1}'],
      ['an unclosed brace', 'user:{0'],
      ['a stray closing brace', 'user:0}'],
      ['a doubled opening brace', 'user:{{0}'],
      ['a doubled closing brace', 'user:{0}}'],
      ['a nested brace', 'user:{0{1}}'],
    ])('throws a TypeError for %s (%s)', (_, template) => {
      expect(() => compileKeyTemplate(template)).toThrow(TypeError);
    });

    it('names the template in the message', () => {
      expect(() => compileKeyTemplate('{0}{1}')).toThrow('{0}{1}');
    });

    it.each([['{0}:{1}'], ['{0}-{1}'], ['{0} {1}'], ['a{0}b'], ['{0}:x{1}'], ['{0}→{1}']])('accepts %s', (template) => {
      expect(typeof compileKeyTemplate(template)).toBe('function');
    });
  });

  describe('property: distinct argument lists never share a key', () => {
    const DANGEROUS = [':', '%', '-', '/', '|', 'a', '3', 'A', '\uD800'];
    // Texts that look like the escapes (%XX, %uXXXX) and marks (%u, %0) the compiler writes.
    // U+FFFD and other lone surrogates: what UTF-8 would turn an unescaped lone surrogate into.
    const ESCAPE_LIKE = ['%3A', '%25', '%2D', '%2F', '%7C', '%u', '%0', '%uD800', '%3a', '\uFFFD', '\uDFFF'];
    const dangerous = fc
      .array(fc.oneof(fc.constantFrom(...DANGEROUS), fc.constantFrom(...ESCAPE_LIKE)), { maxLength: 8 })
      .map((parts) => parts.join(''));
    const anyString = fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' }), dangerous, dangerous);

    /**
     * Pairs of lists of `arity` strings: independent lists, and lists made by re-splitting the
     * same characters at other points (the way collisions are built by hand).
     */
    function listPairs(arity: number): fc.Arbitrary<[string[], string[]]> {
      const list = fc.array(anyString, { minLength: arity, maxLength: arity });
      const independent = fc.tuple(list, list);
      const cuts = fc.array(fc.nat(), { minLength: arity - 1, maxLength: arity - 1 });
      const resplit = fc
        .tuple(fc.array(fc.constantFrom(...DANGEROUS), { maxLength: 12 }), cuts, cuts)
        .map(([chars, cutsA, cutsB]): [string[], string[]] => [splitAt(chars, cutsA), splitAt(chars, cutsB)]);
      const nearCopy = list.chain((a) =>
        fc
          .tuple(fc.nat({ max: arity - 1 }), dangerous)
          .map(([i, s]): [string[], string[]] => [a, a.map((v, j) => (j === i ? s : v))]),
      );
      // The same list with one character of one element swapped for an escape-like text.
      const tokens = [...DANGEROUS, ...ESCAPE_LIKE];
      const substituted = fc
        .tuple(list, fc.nat(), fc.nat(), fc.constantFrom(...tokens))
        .map(([a, i, at, token]): [string[], string[]] => {
          const index = i % arity;
          const chars = [...a[index]];
          chars.splice(at % (chars.length + 1), chars.length === 0 ? 0 : 1, token);
          return [a, a.map((v, j) => (j === index ? chars.join('') : v))];
        });
      return fc.oneof(
        independent,
        resplit,
        nearCopy,
        substituted,
        list.map((a): [string[], string[]] => [a, [...a]]),
      );
    }

    /** Splits `chars` into `cuts.length + 1` strings at the given points (taken modulo the length). */
    function splitAt(chars: readonly string[], cuts: readonly number[]): string[] {
      const sorted = cuts.map((c) => c % (chars.length + 1)).sort((x, y) => x - y);
      const bounds = [0, ...sorted, chars.length];
      return bounds.slice(1).map((end, i) => chars.slice(bounds[i], end).join(''));
    }

    const sameList = (a: readonly string[], b: readonly string[]): boolean =>
      a.length === b.length && a.every((v, i) => v === b[i]);

    it.each([
      ['{0}:{1}', 2],
      ['x-{0}-{1}-y', 2],
      ['{0}/{1}|{2}', 3],
    ])('holds for %s', (template, arity) => {
      const key = compileKeyTemplate(template);
      fc.assert(
        fc.property(listPairs(arity), ([a, b]) => {
          const ka = key(a);
          const kb = key(b);
          expect(isWellFormed(ka)).toBe(true);
          expect(sameBytes(ka, kb)).toBe(sameList(a, b));
        }),
        { numRuns: 3000 },
      );
    });

    it('holds for k:{0.a}:{0.b} (two properties of one argument)', () => {
      const key = compileKeyTemplate('k:{0.a}:{0.b}');
      fc.assert(
        fc.property(listPairs(2), ([a, b]) => {
          const ka = key([{ a: a[0], b: a[1] }]);
          const kb = key([{ a: b[0], b: b[1] }]);
          expect(isWellFormed(ka)).toBe(true);
          expect(sameBytes(ka, kb)).toBe(sameList(a, b));
        }),
        { numRuns: 3000 },
      );
    });
  });
});

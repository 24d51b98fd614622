import { createMethodKeyFactory } from '../../../lib/keys/method-key.factory.js';
import type { ReadThroughKey } from '../../../lib/decorators/read-through.decorator.js';

/** The factory accepts any user key function; tests pass functions of their own arity. */
const keyFn = (fn: (...args: never[]) => unknown): ReadThroughKey<never[]> => fn as unknown as ReadThroughKey<never[]>;

describe('createMethodKeyFactory', () => {
  describe('omitted key', () => {
    const factory = createMethodKeyFactory(undefined, 'RoutesService.optimize');

    it('is <label>:<stable encoding of the argument list>', () => {
      expect(factory(['a', 1])).toBe('RoutesService.optimize:["a",1]');
      expect(factory([])).toBe('RoutesService.optimize:[]');
    });

    it('does not depend on the key order of object arguments', () => {
      expect(factory([{ b: 1, a: 2 }])).toBe(factory([{ a: 2, b: 1 }]));
      expect(factory([{ b: 1, a: 2 }])).toBe('RoutesService.optimize:[{"a":2,"b":1}]');
    });

    it('tells argument lists apart by type and position', () => {
      const keys = [
        factory([1]),
        factory(['1']),
        factory([1, undefined]),
        factory([undefined, 1]),
        factory([[1]]),
        factory([]),
      ];
      expect(new Set(keys).size).toBe(keys.length);
    });

    it('keeps methods apart by label', () => {
      expect(createMethodKeyFactory(undefined, 'A.m')([1])).not.toBe(createMethodKeyFactory(undefined, 'B.m')([1]));
    });

    it('throws a TypeError for an argument without a stable identity', () => {
      expect(() => factory([() => 1])).toThrow(TypeError);
    });
  });

  describe('template key', () => {
    it('interpolates the arguments', () => {
      expect(createMethodKeyFactory('user:{0.id}:{1}', 'S.m')([{ id: 7 }, 'en'])).toBe('user:7:en');
    });

    it('escapes them', () => {
      const factory = createMethodKeyFactory('{0}:{1}', 'S.m');
      expect(factory(['a:b', 'c'])).not.toBe(factory(['a', 'b:c']));
    });

    it('throws a TypeError for a malformed template at creation time', () => {
      expect(() => createMethodKeyFactory('{0}{1}', 'S.m')).toThrow(TypeError);
    });
  });

  describe('function key', () => {
    it('calls the function with the arguments and returns its string unchanged', () => {
      const calls: unknown[][] = [];
      const factory = createMethodKeyFactory(
        keyFn((userId: string, lang: string) => {
          calls.push([userId, lang]);
          return `profile:${userId}:${lang}`;
        }),
        'S.profile',
      );
      expect(factory(['u1', 'de'])).toBe('profile:u1:de');
      expect(calls).toEqual([['u1', 'de']]);
    });

    it.each([
      ['a number', 42],
      ['undefined', undefined],
      ['null', null],
      ['an object', { toString: () => 'x' }],
      ['a String object', new String('x')],
    ])('throws a TypeError when the function returns %s', (_, result) => {
      const factory = createMethodKeyFactory(
        keyFn(() => result),
        'S.m',
      );
      expect(() => factory([])).toThrow(TypeError);
    });

    it('lets an error thrown by the key function propagate', () => {
      const failure = new RangeError('bad input');
      const factory = createMethodKeyFactory(
        keyFn(() => {
          throw failure;
        }),
        'S.m',
      );
      expect(() => factory([])).toThrow(failure);
    });
  });

  it('throws a TypeError for a key that is neither a string nor a function', () => {
    expect(() => createMethodKeyFactory(42 as unknown as ReadThroughKey<never[]>, 'S.m')).toThrow(TypeError);
  });
});

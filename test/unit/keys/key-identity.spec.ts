import fc from 'fast-check';
import { CacheKeyBuilder } from '../../../lib/keys/cache-key.builder.js';
import { declaredParameterCount } from '../../../lib/keys/method-arity.util.js';
import { createMethodKeyFactory } from '../../../lib/keys/method-key.factory.js';
import { encodeStableValue } from '../../../lib/keys/stable-value.encoder.js';
import { resolveName } from '../../../lib/options/name-option.resolver.js';
import { InvalidRedisCacheOptionsError } from '../../../lib/errors/invalid-redis-cache-options.error.js';

describe('stable encoding of objects whose state enumeration cannot see', () => {
  it('keys URLSearchParams by their text, so ?u=alice and ?u=bob never share', () => {
    expect(encodeStableValue(new URLSearchParams('u=alice'))).not.toBe(encodeStableValue(new URLSearchParams('u=bob')));
    expect(encodeStableValue(new URLSearchParams('u=alice'))).toBe(encodeStableValue(new URLSearchParams('u=alice')));
    expect(encodeStableValue(new URLSearchParams('u=alice'))).not.toBe(encodeStableValue('u=alice'));
  });

  it('refuses a class instance with only #private state (no stable identity) instead of encoding it as Sealed{}', () => {
    class Sealed {
      readonly #name: string;
      constructor(name: string) {
        this.#name = name;
      }
      is(name: string): boolean {
        return this.#name === name;
      }
    }
    expect(() => encodeStableValue(new Sealed('alice'))).toThrow(/no stable identity/);
    expect(() => encodeStableValue([new Sealed('alice')])).toThrow(TypeError);
  });

  it('encodes the getters a class defines, so #private state behind them (beside public fields) keeps callers apart', () => {
    class TenantQuery {
      readonly #tenant: string;
      constructor(
        tenant: string,
        readonly page: number,
      ) {
        this.#tenant = tenant;
      }
      get tenant(): string {
        return this.#tenant;
      }
    }
    expect(encodeStableValue(new TenantQuery('acme', 1))).not.toBe(encodeStableValue(new TenantQuery('globex', 1)));
    expect(encodeStableValue(new TenantQuery('acme', 1))).toBe(encodeStableValue(new TenantQuery('acme', 1)));
  });

  it('still encodes an empty plain object, and class instances with visible state', () => {
    class Point {
      constructor(readonly x: number) {}
    }
    expect(encodeStableValue({})).toBe('{}');
    expect(encodeStableValue(new Point(1))).not.toBe(encodeStableValue(new Point(2)));
  });
});

describe('declaredParameterCount', () => {
  class Sample {
    one(a: string): string {
      return a;
    }
    withDefault(a: string, b = 2): string {
      return a + b;
    }
    rest(a: string, ...more: string[]): string {
      return a + more.join();
    }
    destructured({ a, b }: { a: string; b: string }, [c]: string[] = ['x']): string {
      return a + b + c;
    }
    none(): number {
      return 1;
    }
  }
  const p = Sample.prototype;

  it('counts parameters after a default value, which Function.length does not', () => {
    expect(p.withDefault.length).toBe(1);
    expect(declaredParameterCount(p.withDefault, undefined)).toBe(2);
  });

  it('counts destructured parameters as one each, and none as zero', () => {
    expect(declaredParameterCount(p.one, undefined)).toBe(1);
    expect(declaredParameterCount(p.destructured, undefined)).toBe(2);
    expect(declaredParameterCount(p.none, undefined)).toBe(0);
  });

  it('cannot bound a method with a rest parameter', () => {
    expect(declaredParameterCount(p.rest, [String, String])).toBeUndefined();
  });
});

describe('method key placeholders checked at bootstrap', () => {
  it('refuses an argument index beyond the declared parameters, naming it', () => {
    expect(() => createMethodKeyFactory('item:{5}', 'S.m', { parameterCount: 1 })).toThrow(
      /"\{5\}" reads argument 5, but the method declares 1 parameter/,
    );
    expect(() => createMethodKeyFactory('item:{1.id}', 'S.m', { parameterCount: 1 })).toThrow(TypeError);
    expect(() => createMethodKeyFactory('item:{0.id}', 'S.m', { parameterCount: 1 })).not.toThrow();
  });

  it('refuses a placeholder that does not start with an argument index', () => {
    expect(() => createMethodKeyFactory('item:{id}', 'S.m', { parameterCount: 1 })).toThrow(
      /does not name an argument/,
    );
    expect(() => createMethodKeyFactory('item:{length}', 'S.m')).toThrow(/does not name an argument/);
  });

  it('leaves indexes unchecked when the count is unknown, and then refuses at run time', () => {
    const factory = createMethodKeyFactory('item:{3}', 'S.m', {});
    expect(() => factory(['a'])).toThrow(/read nothing/);
    expect(factory(['a', 'b', 'c', 'd'])).toBe('item:d');
  });
});

describe('prefix and namespace are separate segments', () => {
  const name = fc.stringMatching(/^[A-Za-z0-9_.{}/-]{1,12}$/).filter((n) => !n.startsWith('__'));
  const key = fc.string({ maxLength: 40 });

  it('refuses ":" inside a prefix or namespace, and reserved "__" names', () => {
    for (const bad of ['shop:eu', 'a:', ':b', '__lock__', '__x']) {
      expect(() => resolveName('namespace', bad)).toThrow(InvalidRedisCacheOptionsError);
    }
    expect(resolveName('prefix', 'shop-eu')).toBe('shop-eu');
    expect(resolveName('prefix', '{shop}')).toBe('{shop}');
  });

  it('property: no two (prefix, namespace, key) triples share a stored key', () => {
    fc.assert(
      fc.property(name, name, key, name, name, key, (p1, n1, k1, p2, n2, k2) => {
        const a = new CacheKeyBuilder(p1).build(n1, k1);
        const b = new CacheKeyBuilder(p2).build(n2, k2);
        expect(a === b).toBe(p1 === p2 && n1 === n2 && k1 === k2);
      }),
      { numRuns: 3000 },
    );
  });

  it("property: a key falls under another triple's clear() pattern only when prefix (and namespace) are the same", () => {
    fc.assert(
      fc.property(name, name, key, name, name, (p1, n1, k1, p2, n2) => {
        const stored = new CacheKeyBuilder(p1).build(n1, k1);
        const other = new CacheKeyBuilder(p2);
        expect(stored.startsWith(other.namespacePrefix())).toBe(p1 === p2);
        expect(stored.startsWith(other.namespacePrefix(n2))).toBe(p1 === p2 && n1 === n2);
      }),
      { numRuns: 3000 },
    );
  });

  it('the attacks of the report stay apart: prefix shop vs shop-eu, namespace a vs a-b, eu + "default:price"', () => {
    const shop = new CacheKeyBuilder('shop');
    expect(new CacheKeyBuilder('shop-eu').build('default', 'x').startsWith(shop.namespacePrefix())).toBe(false);
    expect(shop.build('a-b', 'x').startsWith(shop.namespacePrefix('a'))).toBe(false);
    expect(shop.build('eu', 'default:price')).not.toBe(shop.build('default', 'price'));
  });
});

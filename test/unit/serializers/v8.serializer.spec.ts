import { types } from 'node:util';
import { V8Serializer } from '../../../lib/serializers/v8.serializer.js';

// node:v8 builds the decoded objects in Node's main realm, not in jest's sandbox, so these
// tests check types with util.types and compare contents, not prototypes.
describe('V8Serializer', () => {
  const serializer = new V8Serializer();
  const roundTrip = <T>(value: T): T => serializer.deserialize(serializer.serialize(value)) as T;

  it("has the id 'v8' and returns a Buffer", () => {
    expect(serializer.id).toBe('v8');
    expect(Buffer.isBuffer(serializer.serialize({ a: 1 }))).toBe(true);
  });

  it('round-trips a Date', () => {
    const decoded = roundTrip(new Date(Date.UTC(2024, 1, 29, 12, 0, 0, 123)));
    expect(types.isDate(decoded)).toBe(true);
    expect(decoded.getTime()).toBe(Date.UTC(2024, 1, 29, 12, 0, 0, 123));
  });

  it('round-trips a Map with non-string keys', () => {
    const decoded = roundTrip(
      new Map<unknown, unknown>([
        [1, 'one'],
        ['1', 'string one'],
        ['nested', { a: [1, 2] }],
      ]),
    );
    expect(types.isMap(decoded)).toBe(true);
    expect([...decoded]).toEqual([
      [1, 'one'],
      ['1', 'string one'],
      ['nested', { a: [1, 2] }],
    ]);
  });

  it('round-trips a Set', () => {
    const decoded = roundTrip(new Set([3, 'x', 1]));
    expect(types.isSet(decoded)).toBe(true);
    expect([...decoded]).toEqual([3, 'x', 1]);
  });

  it('round-trips BigInts, small and huge', () => {
    const decoded = roundTrip({ small: 1n, big: 2n ** 100n, negative: -(2n ** 70n) });
    expect(decoded).toEqual({ small: 1n, big: 2n ** 100n, negative: -(2n ** 70n) });
    expect(typeof decoded.small).toBe('bigint');
  });

  it('keeps undefined members and cycles', () => {
    const value: Record<string, unknown> = { u: undefined };
    value.self = value;
    const decoded = roundTrip(value);
    expect(Object.prototype.hasOwnProperty.call(decoded, 'u')).toBe(true);
    expect(decoded.self).toBe(decoded);
  });

  it('round-trips a Buffer as a Uint8Array with the same bytes', () => {
    const decoded = roundTrip(Buffer.from([1, 2, 255]));
    expect(types.isUint8Array(decoded)).toBe(true);
    expect([...decoded]).toEqual([1, 2, 255]);
  });

  it('refuses a class instance anywhere in the value (it would come back as a plain object), built-ins pass', () => {
    class Point {
      constructor(readonly x: number) {}
    }
    class Registry extends Map<string, number> {}
    expect(() => serializer.serialize(new Point(1))).toThrow('an instance of Point');
    expect(() => serializer.serialize(new Map([['k', { deep: [new Point(1)] }]]))).toThrow('an instance of Point');
    expect(() => serializer.serialize(new Registry())).toThrow('an instance of Registry');
    const cyclic: { self?: unknown; at: Date; bytes: Uint8Array } = { at: new Date(5), bytes: new Uint8Array(3) };
    cyclic.self = cyclic;
    const back = roundTrip(cyclic) as typeof cyclic;
    expect(back.self).toBe(back);
    expect(back.at).toEqual(new Date(5));
  });

  it('refuses a function', () => {
    expect(() => serializer.serialize({ f: () => 1 })).toThrow();
  });

  it('throws on bytes that are not v8 serialization output', () => {
    expect(() => serializer.deserialize(Buffer.from('{"a":1}'))).toThrow();
  });
});

import { types } from 'node:util';
import { MsgpackSerializer } from '../../../lib/serializers/msgpack.serializer.js';

describe('MsgpackSerializer', () => {
  const serializer = new MsgpackSerializer();
  const roundTrip = <T>(value: T): T => serializer.deserialize(serializer.serialize(value)) as T;

  it("has the id 'msgpack' and returns a Buffer", () => {
    expect(serializer.id).toBe('msgpack');
    expect(Buffer.isBuffer(serializer.serialize({ a: 1 }))).toBe(true);
  });

  it('is more compact than JSON for numbers and arrays', () => {
    const value = { list: Array.from({ length: 100 }, (_, i) => i * 1000) };
    expect(serializer.serialize(value).length).toBeLessThan(JSON.stringify(value).length);
  });

  it('round-trips a Date', () => {
    const decoded = roundTrip(new Date(Date.UTC(2024, 1, 29, 12, 0, 0, 123)));
    expect(types.isDate(decoded)).toBe(true);
    expect(decoded.getTime()).toBe(Date.UTC(2024, 1, 29, 12, 0, 0, 123));
  });

  it('round-trips a Set', () => {
    const decoded = roundTrip(new Set([3, 'x', 1]));
    expect(types.isSet(decoded)).toBe(true);
    expect([...decoded]).toEqual([3, 'x', 1]);
  });

  it('round-trips BigInts inside and outside the 64-bit range', () => {
    const value = { small: 1n, max: 2n ** 64n - 1n, min: -(2n ** 63n), huge: 2n ** 100n };
    const decoded = roundTrip(value);
    expect(decoded).toEqual(value);
    for (const v of Object.values(decoded)) expect(typeof v).toBe('bigint');
  });

  it('round-trips binary data', () => {
    const decoded = roundTrip({ bytes: Buffer.from([0, 1, 254, 255]) });
    expect([...decoded.bytes]).toEqual([0, 1, 254, 255]);
  });

  it('refuses a class instance anywhere in the value (msgpack would bring back a plain object)', () => {
    class Point {
      constructor(readonly x: number) {}
    }
    expect(() => serializer.serialize({ list: new Set([new Point(1)]) })).toThrow('an instance of Point');
    expect(roundTrip({ list: new Set([{ x: 1 }]) })).toEqual({ list: new Set([{ x: 1 }]) });
  });

  it('returns a Map as a plain object (documented)', () => {
    expect(roundTrip(new Map<string, unknown>([['k', { x: 1 }]]))).toEqual({ k: { x: 1 } });
  });

  it('writes self-describing entries: a fresh serializer reads what another wrote', () => {
    const value = [
      { id: 1, name: 'a' },
      { id: 2, name: 'b' },
    ];
    expect(new MsgpackSerializer().deserialize(serializer.serialize(value))).toEqual(value);
  });
});

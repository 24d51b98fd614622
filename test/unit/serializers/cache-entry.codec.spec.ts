import fc from 'fast-check';
import { RedisCacheSerializationError } from '../../../lib/errors/redis-cache-serialization.error.js';
import { CacheEntryCodec } from '../../../lib/serializers/cache-entry.codec.js';
import { CacheSerializer } from '../../../lib/serializers/cache.serializer.js';
import { JsonSerializer } from '../../../lib/serializers/json.serializer.js';
import { V8Serializer } from '../../../lib/serializers/v8.serializer.js';

const MAX = 1024 * 1024;
// Header of a 'json' entry: magic(2) version(1) flags(1) idLength(1) 'json'(4) createdAt(8)
// freshUntil(8) loadMs(4).
const JSON_HEADER_BYTES = 2 + 1 + 1 + 1 + 4 + 8 + 8 + 4;

/** A JSON serializer under another id. */
class RenamedJson extends CacheSerializer {
  private readonly json = new JsonSerializer();
  constructor(readonly id: string) {
    super();
  }
  serialize(value: unknown): string {
    return this.json.serialize(value);
  }
  deserialize(raw: Buffer): unknown {
    return this.json.deserialize(raw);
  }
}

class ThrowingSerializer extends CacheSerializer {
  readonly id = 'throwing';
  constructor(readonly failure: Error) {
    super();
  }
  serialize(): string {
    throw this.failure;
  }
  deserialize(): unknown {
    throw this.failure;
  }
}

class UndefinedSerializer extends CacheSerializer {
  readonly id = 'undef';
  serialize(): string {
    return 'x';
  }
  deserialize(): unknown {
    return undefined;
  }
}

/** The format version this codec writes (1 as documented today; read, so a bump moves with it). */
const CURRENT_VERSION = new CacheEntryCodec(new JsonSerializer(), 1024).encode(0, 0, 0)[2];

/** The first 9 bytes of a 'json' entry: magic, version, flags, id length, id. */
const header = (version = CURRENT_VERSION): Buffer => Buffer.from([0xca, 0xc4, version, 0, 4, ...Buffer.from('json')]);

describe('CacheEntryCodec', () => {
  const codec = new CacheEntryCodec(new JsonSerializer(), MAX);

  describe('round trip', () => {
    it.each<[string, unknown]>([
      ['an object', { id: 7, list: [1, 'x', null], nested: { ok: true } }],
      ['a string', 'héllo 🌍'],
      ['null', null],
      ['zero', 0],
      ['false', false],
      ['an empty array', []],
    ])('keeps %s with createdAt and freshUntil', (_, value) => {
      const createdAt = 1_700_000_000_123;
      const freshUntil = createdAt + 300_000;
      const decoded = codec.decode(codec.encode(value, createdAt, freshUntil));
      expect(decoded).toEqual({ ok: true, entry: { value, createdAt, freshUntil, loadMs: 0 } });
    });

    it('keeps fractional timestamps exactly (float64)', () => {
      const decoded = codec.decode(codec.encode(1, 1000.25, 2000.5));
      expect(decoded).toEqual({ ok: true, entry: { value: 1, createdAt: 1000.25, freshUntil: 2000.5, loadMs: 0 } });
    });

    it('keeps the load time in whole milliseconds, clamped to 0 … 2^32-1', () => {
      const loadMsOf = (loadMs: number): unknown => {
        const decoded = codec.decode(codec.encode('v', 1, 2, loadMs));
        return decoded.ok ? decoded.entry.loadMs : decoded;
      };
      expect(loadMsOf(250)).toBe(250);
      expect(loadMsOf(1234.6)).toBe(1235);
      expect(loadMsOf(-5)).toBe(0);
      expect(loadMsOf(2 ** 40)).toBe(2 ** 32 - 1);
    });

    it('works with a serializer that returns a Buffer', () => {
      const v8 = new CacheEntryCodec(new V8Serializer(), MAX);
      const value = { list: [1, 'two', null], nested: { ok: true } };
      // Plain data only: node:v8 builds Date/Set/Map in the main realm, not in jest's sandbox.
      expect(v8.decode(v8.encode(value, 1, 2, 3))).toEqual({ ok: true, entry: { value, createdAt: 1, freshUntil: 2, loadMs: 3 } });
    });

    it('writes the documented layout: magic CA C4, version 2, flags 0, id, timestamps, load time, payload', () => {
      const bytes = codec.encode({ a: 1 }, 1000, 2000, 77);
      expect([...bytes.subarray(0, 5)]).toEqual([0xca, 0xc4, 2, 0, 4]);
      expect(bytes.subarray(5, 9).toString('ascii')).toBe('json');
      expect(bytes.readDoubleBE(9)).toBe(1000);
      expect(bytes.readDoubleBE(17)).toBe(2000);
      expect(bytes.readUInt32BE(25)).toBe(77);
      expect(bytes.subarray(JSON_HEADER_BYTES).toString('utf8')).toBe('{"a":1}');
    });
  });

  describe('rejections (a miss, never a throw)', () => {
    const entry = (): Buffer => codec.encode({ v: 'value' }, 1_000, 2_000);

    it.each<[string, Buffer]>([
      ['plain JSON text', Buffer.from('{"v":"value"}')],
      ['an empty buffer', Buffer.alloc(0)],
      ['a plain string', Buffer.from('hello world, this is long enough to hold a header')],
      ['the magic alone', Buffer.from([0xca, 0xc4])],
      ['a header cut short', Buffer.concat([header(), Buffer.alloc(19)])],
    ])('refuses %s as foreign', (_, raw) => {
      expect(codec.decode(raw)).toMatchObject({ ok: false, reason: 'foreign' });
    });

    it('refuses an entry of another serializer id, longer or of the same length', () => {
      for (const id of ['json2', 'jsoN', 'v8']) {
        const other = new CacheEntryCodec(new RenamedJson(id), MAX);
        const foreignEntry = other.encode({ v: 'value' }, 1, 2);
        expect(codec.decode(foreignEntry)).toMatchObject({ ok: false, reason: 'serializer' });
        expect(other.decode(entry())).toMatchObject({ ok: false, reason: 'serializer' });
      }
    });

    it.each([[0], [CURRENT_VERSION + 1], [255]])('refuses a format version byte of %d', (version) => {
      const raw = entry();
      raw[2] = version;
      expect(codec.decode(raw)).toMatchObject({ ok: false, reason: 'version' });
    });

    it('refuses a corrupted payload, with the parse error as cause', () => {
      const raw = entry();
      raw.write('{not', JSON_HEADER_BYTES, 'utf8');
      const decoded = codec.decode(raw);
      expect(decoded).toMatchObject({ ok: false, reason: 'corrupt' });
      expect(!decoded.ok && decoded.cause).toBeInstanceOf(SyntaxError);
    });

    it('refuses a truncated payload', () => {
      const raw = entry();
      expect(codec.decode(raw.subarray(0, raw.length - 3))).toMatchObject({ ok: false, reason: 'corrupt' });
    });

    it('refuses an entry with an empty payload', () => {
      const raw = entry().subarray(0, JSON_HEADER_BYTES);
      expect(codec.decode(raw)).toMatchObject({ ok: false, reason: 'corrupt' });
    });

    it.each([
      ['created-at', 9],
      ['fresh-until', 17],
    ])('refuses a non-finite %s timestamp', (_, offset) => {
      for (const bad of [NaN, Infinity, -Infinity]) {
        const raw = entry();
        raw.writeDoubleBE(bad, offset);
        expect(codec.decode(raw)).toMatchObject({ ok: false, reason: 'corrupt' });
      }
    });

    it('never decodes an entry of the earlier version-1 layout (no load-time field) to a different value', () => {
      // Commit 92edfb7 wrote version 1 as magic, version, flags, id, createdAt, freshUntil,
      // payload. The load-time field was added under the same version byte, so such an entry
      // holding the number 12345678 is read with '1234' as load time and '5678' as payload.
      const oldLayout = Buffer.concat([header(1), Buffer.alloc(16), Buffer.from('12345678')]);
      oldLayout.writeDoubleBE(1_000, 9);
      oldLayout.writeDoubleBE(2_000, 17);
      const decoded = codec.decode(oldLayout);
      if (decoded.ok) expect(decoded.entry.value).toBe(12345678);
      else expect(decoded.reason).toBe('version');
    });

    it('refuses a payload that decodes to undefined (undefined is never stored)', () => {
      const undefinedCodec = new CacheEntryCodec(new UndefinedSerializer(), MAX);
      expect(undefinedCodec.decode(undefinedCodec.encode('anything', 1, 2))).toMatchObject({ ok: false, reason: 'corrupt' });
    });

    it('refuses raw bytes over maxValueBytes before looking at them', () => {
      const small = new CacheEntryCodec(new JsonSerializer(), 64);
      const fits = codec.encode('x'.repeat(64 - JSON_HEADER_BYTES - 2), 1, 2);
      expect(fits.length).toBe(64);
      expect(small.decode(fits)).toMatchObject({ ok: true });
      const tooBig = codec.encode('x'.repeat(64 - JSON_HEADER_BYTES - 1), 1, 2);
      expect(tooBig.length).toBe(65);
      expect(small.decode(tooBig)).toMatchObject({ ok: false, reason: 'oversize' });
      expect(small.decode(Buffer.alloc(65))).toMatchObject({ ok: false, reason: 'oversize' });
    });
  });

  describe('encode failures', () => {
    it('throws RedisCacheSerializationError for an entry over maxValueBytes, and accepts one of exactly maxValueBytes', () => {
      const small = new CacheEntryCodec(new JsonSerializer(), 64);
      // A JSON string of n characters is n + 2 bytes.
      expect(small.encode('x'.repeat(64 - JSON_HEADER_BYTES - 2), 1, 2).length).toBe(64);
      expect(() => small.encode('x'.repeat(64 - JSON_HEADER_BYTES - 1), 1, 2)).toThrow(RedisCacheSerializationError);
    });

    it('counts multi-byte characters in bytes, not UTF-16 units', () => {
      const small = new CacheEntryCodec(new JsonSerializer(), 64);
      // 13 × '€' = 39 bytes + 2 quotes = 41 > 64 - 25 = 39 bytes of room, though only 15 UTF-16 units.
      expect(() => small.encode('€'.repeat(13), 1, 2)).toThrow(RedisCacheSerializationError);
    });

    it('wraps an error thrown by the serializer, keeping it as cause', () => {
      const failure = new Error('cannot serialize this');
      const throwing = new CacheEntryCodec(new ThrowingSerializer(failure), MAX);
      let thrown: unknown;
      try {
        throwing.encode({}, 1, 2);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(RedisCacheSerializationError);
      expect((thrown as RedisCacheSerializationError).cause).toBe(failure);
      expect((thrown as RedisCacheSerializationError).code).toBe('E_REDIS_CACHE_SERIALIZATION');
    });

    it('wraps the JSON serializer refusing a BigInt', () => {
      expect(() => codec.encode({ n: 1n }, 1, 2)).toThrow(RedisCacheSerializationError);
    });

    it('turns a deserializer that throws into a corrupt miss', () => {
      const failure = new Error('boom');
      const throwing = new CacheEntryCodec(new ThrowingSerializer(failure), MAX);
      const raw = Buffer.concat([Buffer.from([0xca, 0xc4, CURRENT_VERSION, 0, 8]), Buffer.from('throwing'), Buffer.alloc(20), Buffer.from('x')]);
      expect(throwing.decode(raw)).toEqual({ ok: false, reason: 'corrupt', cause: failure });
    });
  });

  describe('property: arbitrary bytes', () => {
    /**
     * What decoding `raw` must give, from the documented layout alone: ok only with the magic,
     * version 1, the id 'json', finite timestamps (any load time) and a payload that is JSON.
     */
    function oracle(raw: Uint8Array): { ok: true; value: unknown } | { ok: false } {
      const bytes = Buffer.from(raw);
      if (bytes.length < JSON_HEADER_BYTES || bytes[0] !== 0xca || bytes[1] !== 0xc4 || bytes[2] !== CURRENT_VERSION) return { ok: false };
      if (bytes[4] !== 4 || bytes.subarray(5, 9).toString('latin1') !== 'json') return { ok: false };
      if (!Number.isFinite(bytes.readDoubleBE(9)) || !Number.isFinite(bytes.readDoubleBE(17))) return { ok: false };
      try {
        // The JSON serializer drops these keys (documented); other keys are kept as parsed.
        const reviver = (key: string, value: unknown): unknown => (['__proto__', 'constructor', 'prototype'].includes(key) ? undefined : value);
        return { ok: true, value: JSON.parse(bytes.subarray(JSON_HEADER_BYTES).toString('utf8'), reviver) as unknown };
      } catch {
        return { ok: false };
      }
    }

    const doubleBytes = fc.oneof(
      fc.double().map((d) => {
        const b = Buffer.alloc(8);
        b.writeDoubleBE(d);
        return b;
      }),
      fc.uint8Array({ minLength: 8, maxLength: 8 }).map((b) => Buffer.from(b)),
    );
    const payload = fc.oneof(fc.uint8Array({ maxLength: 40 }), fc.json().map((text) => Buffer.from(text, 'utf8')));
    const loadBytes = fc.uint8Array({ minLength: 4, maxLength: 4 }).map((b) => Buffer.from(b));
    const candidates = fc.oneof(
      fc.uint8Array({ maxLength: 80 }),
      fc.tuple(doubleBytes, doubleBytes, loadBytes, payload).map(([a, b, l, p]) => Buffer.concat([header(), a, b, l, p])),
      // A valid-looking header with one byte changed.
      fc
        .tuple(doubleBytes, doubleBytes, loadBytes, payload, fc.nat({ max: 8 }), fc.integer({ min: 0, max: 255 }))
        .map(([a, b, l, p, at, byte]) => {
          const raw = Buffer.concat([header(), a, b, l, p]);
          raw[at] = byte;
          return raw;
        }),
    );

    it('decode never throws and accepts exactly the well-formed entries', () => {
      fc.assert(
        fc.property(candidates, (raw) => {
          const buffer = Buffer.from(raw);
          const expected = oracle(buffer);
          let decoded: ReturnType<CacheEntryCodec['decode']> | undefined;
          expect(() => {
            decoded = codec.decode(buffer);
          }).not.toThrow();
          expect(decoded!.ok).toBe(expected.ok);
          if (decoded!.ok && expected.ok) {
            expect(decoded!.entry.value).toEqual(expected.value);
            expect(decoded!.entry.loadMs).toBe(buffer.readUInt32BE(25));
          }
        }),
        { numRuns: 2000 },
      );
    });
  });
});

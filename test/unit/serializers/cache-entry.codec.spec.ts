import { serialize as v8Serialize } from 'node:v8';
import fc from 'fast-check';
import { RedisCacheSerializationError } from '../../../lib/errors/redis-cache-serialization.error.js';
import { CacheEntryCodec, type DecodeResult } from '../../../lib/serializers/cache-entry.codec.js';
import { CacheSerializer } from '../../../lib/serializers/cache.serializer.js';
import { JsonSerializer } from '../../../lib/serializers/json.serializer.js';
import { V8Serializer } from '../../../lib/serializers/v8.serializer.js';
import { BytesOnlyJson, RenamedJson } from '../support/json-variants.fixture.js';

const MAX = 1024 * 1024;

/**
 * The documented header line, built from the layout described in cache-entry.codec.ts (never
 * from the codec itself): `\x1eRT<version>:<flags>:<serializer id>:<created-at>:<fresh-until>:<load-ms>\n`.
 */
function headerLine(
  id: string,
  createdAt: number | string,
  freshUntil: number | string,
  loadMs: number | string,
  version = '3',
  flags = '0',
): string {
  return `\x1eRT${version}:${flags}:${id}:${createdAt}:${freshUntil}:${loadMs}\n`;
}

/**
 * The two ways a stored entry reaches `decode()`: as bytes (`get`, binary serializers) or as the
 * same bytes read as a UTF-8 string (`getText`, text serializers).
 */
type Form = 'bytes' | 'text';
const FORMS: readonly Form[] = ['bytes', 'text'];

/** `entry` as it would reach decode() in `form`. A string stands for its UTF-8 bytes. */
function inForm(form: Form, entry: Buffer | string): Buffer | string {
  if (form === 'bytes') return typeof entry === 'string' ? Buffer.from(entry, 'utf8') : entry;
  return typeof entry === 'string' ? entry : entry.toString('utf8');
}

/** What JsonSerializer documents it decodes JSON text to: JSON.parse minus the dangerous keys. */
function parseJson(text: string): unknown {
  // The JSON serializer refuses (never strips) a dangerous key: such an entry is a miss.
  return JSON.parse(text, (key: string, value: unknown) => {
    if (['__proto__', 'constructor', 'prototype'].includes(key)) throw new TypeError(`dangerous key ${key}`);
    return value;
  }) as unknown;
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
  override deserializeText(): unknown {
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
  override deserializeText(): unknown {
    return undefined;
  }
}

/** An entry of the unreleased binary layouts: magic CA C4, version byte, flags, id length, id, float64 times, [uint32 load time], payload. */
function binaryLayoutEntry(version: 1 | 2, payload: string): Buffer {
  const times = Buffer.alloc(version === 1 ? 16 : 20);
  times.writeDoubleBE(1_000, 0);
  times.writeDoubleBE(2_000, 8);
  if (version === 2) times.writeUInt32BE(5, 16);
  return Buffer.concat([
    Buffer.from([0xca, 0xc4, version, 0, 4]),
    Buffer.from('json', 'ascii'),
    times,
    Buffer.from(payload, 'utf8'),
  ]);
}

describe('CacheEntryCodec', () => {
  const codec = new CacheEntryCodec(new JsonSerializer(), MAX);
  const v8codec = new CacheEntryCodec(new V8Serializer(), MAX);

  describe('text and binary serializers', () => {
    it('reads JSON entries as text: textual, and encode() returns a string', () => {
      expect(codec.textual).toBe(true);
      expect(typeof codec.encode({ a: 1 }, 1, 2)).toBe('string');
    });

    it('reads V8 entries as bytes: not textual, and encode() returns a Buffer', () => {
      expect(v8codec.textual).toBe(false);
      expect(Buffer.isBuffer(v8codec.encode({ a: 1 }, 1, 2))).toBe(true);
    });

    it('treats a serializer that writes strings but has no deserializeText as binary, decoding its entries from bytes', () => {
      const bytesOnly = new CacheEntryCodec(new BytesOnlyJson(), MAX);
      expect(bytesOnly.textual).toBe(false);
      const entry = bytesOnly.encode({ a: [1, 'é'] }, 10, 20, 3);
      expect(entry).toBe(`${headerLine('bytes-json', 10, 20, 3)}{"a":[1,"é"]}`);
      expect(bytesOnly.decode(Buffer.from(entry as string, 'utf8'))).toEqual({
        ok: true,
        entry: { value: { a: [1, 'é'] }, createdAt: 10, freshUntil: 20, loadMs: 3 },
      });
    });

    it.each<[string, (bytes: Buffer) => string]>([
      ['latin1', (bytes) => bytes.toString('latin1')],
      ['UTF-8 (invalid sequences replaced)', (bytes) => bytes.toString('utf8')],
    ])('never decodes a V8 entry handed over as a %s string to a wrong value', (_, mangle) => {
      // Bytes >= 0x80 in the payload are what a string read mangles.
      const value = { text: 'héllo 🌍', n: 200, list: [255, -1, 1e300] };
      const entry = v8codec.encode(value, 1, 2, 3) as Buffer;
      expect([...entry].some((byte) => byte >= 0x80)).toBe(true);
      let decoded: DecodeResult | undefined;
      expect(() => {
        decoded = v8codec.decode(mangle(entry));
      }).not.toThrow();
      // A miss, or (were the string turned back into the same bytes) the very value written.
      if (decoded!.ok) expect(decoded!.entry).toEqual({ value, createdAt: 1, freshUntil: 2, loadMs: 3 });
      else expect(decoded!.reason).toBe('corrupt');
    });

    it.each(FORMS)('refuses a V8 entry read by the JSON codec (%s), and a JSON entry read by the V8 codec', (form) => {
      const v8entry = v8codec.encode({ a: 1 }, 1, 2) as Buffer;
      expect(codec.decode(inForm(form, v8entry))).toMatchObject({ ok: false, reason: 'serializer' });
      expect(v8codec.decode(inForm(form, codec.encode({ a: 1 }, 1, 2)))).toMatchObject({
        ok: false,
        reason: 'serializer',
      });
    });
  });

  describe('round trip', () => {
    const values: [string, unknown][] = [
      ['an object', { id: 7, list: [1, 'x', null], nested: { ok: true } }],
      ['a string', 'héllo 🌍'],
      ['a string with newlines and colons', 'a:b\n\x1eRT3:0:json:1:2:3\nc'],
      ['null', null],
      ['zero', 0],
      ['false', false],
      ['an empty array', []],
      ['an empty string', ''],
    ];
    it.each(FORMS.flatMap((form) => values.map(([label, value]) => [label, form, value] as const)))(
      'keeps %s with createdAt and freshUntil (%s)',
      (_, form, value) => {
        const createdAt = 1_700_000_000_123;
        const freshUntil = createdAt + 300_000;
        const decoded = codec.decode(inForm(form, codec.encode(value, createdAt, freshUntil)));
        expect(decoded).toEqual({ ok: true, entry: { value, createdAt, freshUntil, loadMs: 0 } });
      },
    );

    it('writes the documented layout: \\x1eRT, version 3, flags 0, id, created-at, fresh-until, load-ms, newline, JSON payload', () => {
      expect(codec.encode({ a: 1 }, 1000, 2000, 77)).toBe('\x1eRT3:0:json:1000:2000:77\n{"a":1}');
      expect(codec.encode('héllo', 1_700_000_000_123, 1_700_000_300_123)).toBe(
        '\x1eRT3:0:json:1700000000123:1700000300123:0\n"héllo"',
      );
    });

    it('writes the same ASCII header in front of the bytes of a binary serializer', () => {
      const value = { list: [1, 'two', null], nested: { ok: true } };
      const entry = v8codec.encode(value, 1_700_000_000_123, 1_700_000_300_123, 42) as Buffer;
      const header = '\x1eRT3:0:v8:1700000000123:1700000300123:42\n';
      expect(entry.subarray(0, header.length).toString('latin1')).toBe(header);
      expect(entry.subarray(header.length).equals(v8Serialize(value))).toBe(true);
      expect(entry.length).toBe(header.length + v8Serialize(value).length);
    });

    it('decodes a binary serializer entry from its bytes', () => {
      const value = { list: [1, 'two', null], nested: { ok: true }, text: 'héllo 🌍' };
      // Plain data only: node:v8 builds Date/Set/Map in the main realm, not in jest's sandbox.
      expect(v8codec.decode(v8codec.encode(value, 1, 2, 3))).toEqual({
        ok: true,
        entry: { value, createdAt: 1, freshUntil: 2, loadMs: 3 },
      });
    });

    it.each(FORMS)('stores timestamps as whole milliseconds, floored (%s)', (form) => {
      const timesOf = (createdAt: number, freshUntil: number): unknown => {
        const decoded = codec.decode(inForm(form, codec.encode(1, createdAt, freshUntil)));
        return decoded.ok ? [decoded.entry.createdAt, decoded.entry.freshUntil] : decoded;
      };
      expect(timesOf(1000.25, 2000.5)).toEqual([1000, 2000]);
      expect(timesOf(1000.999, 1999.0001)).toEqual([1000, 1999]);
      // Beyond 2^31: no 32-bit truncation.
      expect(timesOf(1_700_000_000_123.9, 1_700_000_300_123.4)).toEqual([1_700_000_000_123, 1_700_000_300_123]);
      // Floored, not truncated toward zero.
      expect(timesOf(-1.5, -0.25)).toEqual([-2, -1]);
      expect(codec.encode(1, 1000.75, 2000.5, 0)).toBe(`${headerLine('json', 1000, 2000, 0)}1`);
    });

    it.each(FORMS)('keeps the load time in whole milliseconds, clamped to 0 … 2^32-1 (%s)', (form) => {
      const loadMsOf = (loadMs: number): unknown => {
        const decoded = codec.decode(inForm(form, codec.encode('v', 1, 2, loadMs)));
        return decoded.ok ? decoded.entry.loadMs : decoded;
      };
      expect(loadMsOf(250)).toBe(250);
      expect(loadMsOf(1234.6)).toBe(1235);
      expect(loadMsOf(-5)).toBe(0);
      expect(loadMsOf(2 ** 32 - 1)).toBe(2 ** 32 - 1);
      expect(loadMsOf(2 ** 40)).toBe(2 ** 32 - 1);
    });
  });

  describe('rejections (a miss, never a throw)', () => {
    const entry = (): string => codec.encode({ v: 'value' }, 1_000, 2_000) as string;
    /** Decodes `raw` in `form` and returns the result (never throwing is part of the contract). */
    const decodeIn = (form: Form, raw: Buffer | string, using = codec): DecodeResult => using.decode(inForm(form, raw));

    const foreign: [string, Buffer | string][] = [
      ['plain JSON text', '{"v":"value"}'],
      ['an empty entry', ''],
      ['a plain string', 'hello world, this is long enough to hold a header'],
      ['the header without the record separator', `${headerLine('json', 1, 2, 0).slice(1)}1`],
      ['the header with another control character', `\x1f${headerLine('json', 1, 2, 0).slice(1)}1`],
      ['the header in lower case', `\x1ert3:0:json:1:2:0\n1`],
      ['the header after a space', ` ${headerLine('json', 1, 2, 0)}1`],
      ['the header after a UTF-8 BOM', `\ufeff${headerLine('json', 1, 2, 0)}1`],
      ['a cut magic', '\x1eR'],
      ['a version-2 entry of the earlier binary layout (magic CA C4)', binaryLayoutEntry(2, '12345678')],
      ['a version-1 entry of the earlier binary layout (magic CA C4)', binaryLayoutEntry(1, '12345678')],
    ];
    it.each(FORMS.flatMap((form) => foreign.map(([label, raw]) => [label, form, raw] as const)))(
      'refuses %s as foreign (%s)',
      (_, form, raw) => {
        expect(decodeIn(form, raw)).toMatchObject({ ok: false, reason: 'foreign' });
      },
    );

    it.each([['latin1'], ['utf8']] as const)(
      'refuses entries of the earlier binary layouts read as %s strings as foreign',
      (encoding) => {
        for (const version of [1, 2] as const) {
          expect(codec.decode(binaryLayoutEntry(version, '12345678').toString(encoding))).toMatchObject({
            ok: false,
            reason: 'foreign',
          });
        }
      },
    );

    it.each(FORMS)('refuses the magic alone (%s)', (form) => {
      const decoded = decodeIn(form, '\x1eRT');
      expect(decoded.ok).toBe(false);
      expect(['foreign', 'version', 'corrupt']).toContain(!decoded.ok && decoded.reason);
    });

    const versions = ['0', '1', '2', '4', '9', 'x', ':'];
    it.each(FORMS.flatMap((form) => versions.map((version) => [version, form] as const)))(
      'refuses an entry with the version character %p (%s)',
      (version, form) => {
        expect(decodeIn(form, `${headerLine('json', 1_000, 2_000, 0, version)}{"v":"value"}`)).toMatchObject({
          ok: false,
          reason: 'version',
        });
      },
    );

    it.each(FORMS)(
      'refuses an entry of another serializer id, longer, shorter or of the same length, both ways (%s)',
      (form) => {
        for (const id of ['json2', 'jso', 'jsoN', 'JSON', 'v8', 'json.v2', 'json-', 'xjson']) {
          const other = new CacheEntryCodec(new RenamedJson(id), MAX);
          expect(decodeIn(form, other.encode({ v: 'value' }, 1, 2))).toMatchObject({ ok: false, reason: 'serializer' });
          expect(decodeIn(form, entry(), other)).toMatchObject({ ok: false, reason: 'serializer' });
        }
      },
    );

    it.each(FORMS)('refuses reserved flags other than 0 (%s)', (form) => {
      for (const flags of ['1', '00', '', 'x']) {
        expect(decodeIn(form, `${headerLine('json', 1, 2, 0, '3', flags)}1`)).toMatchObject({
          ok: false,
          reason: 'corrupt',
        });
      }
    });

    it.each(FORMS)('refuses a corrupted payload, with the parse error as cause (%s)', (form) => {
      const raw = entry().replace('{"v"', '{not');
      const decoded = decodeIn(form, raw);
      expect(decoded).toMatchObject({ ok: false, reason: 'corrupt' });
      expect(!decoded.ok && decoded.cause).toBeInstanceOf(SyntaxError);
    });

    it.each(FORMS)('refuses a truncated payload (%s)', (form) => {
      const raw = entry();
      for (const cut of [1, 3, '"value"}'.length]) {
        expect(decodeIn(form, raw.slice(0, raw.length - cut))).toMatchObject({ ok: false, reason: 'corrupt' });
      }
    });

    it.each(FORMS)('refuses an entry with an empty payload (%s)', (form) => {
      expect(decodeIn(form, headerLine('json', 1_000, 2_000, 0))).toMatchObject({ ok: false, reason: 'corrupt' });
    });

    it.each(FORMS)('refuses the header cut short at any point, as corrupt once the id is complete (%s)', (form) => {
      const header = headerLine('json', 1_000, 2_000, 7);
      const idEnd = '\x1eRT3:0:json:'.length;
      for (let cut = 0; cut < header.length; cut++) {
        for (const raw of [header.slice(0, cut), `${header.slice(0, cut)}{"v":1}`]) {
          const decoded = decodeIn(form, raw);
          expect(decoded.ok).toBe(false);
          if (cut >= idEnd) expect(decoded).toMatchObject({ ok: false, reason: 'corrupt' });
        }
      }
    });

    it.each(FORMS)('refuses a header with a missing or an extra field (%s)', (form) => {
      expect(decodeIn(form, '\x1eRT3:0:json:1000:2000\n1')).toMatchObject({ ok: false, reason: 'corrupt' });
      expect(decodeIn(form, '\x1eRT3:0:json:1000:2000:0:5\n1')).toMatchObject({ ok: false, reason: 'corrupt' });
      expect(decodeIn(form, '\x1eRT3:0:json:1000\n:2000:0\n1')).toMatchObject({ ok: false, reason: 'corrupt' });
    });

    const fields = [
      ['created-at', (bad: string) => headerLine('json', bad, 2_000, 0)],
      ['fresh-until', (bad: string) => headerLine('json', 1_000, bad, 0)],
      ['load-ms', (bad: string) => headerLine('json', 1_000, 2_000, bad)],
    ] as const;
    const byFieldAndForm = FORMS.flatMap((form) => fields.map(([field, build]) => [field, form, build] as const));
    /** The `bads` that the header built by `build` does not get refused as corrupt, with what they decoded to. */
    const notRefused = (
      form: Form,
      build: (bad: string) => string,
      bads: readonly string[],
    ): [string, DecodeResult][] =>
      bads
        .map((bad): [string, DecodeResult] => [bad, decodeIn(form, `${build(bad)}{"v":1}`)])
        .filter(([, decoded]) => decoded.ok || decoded.reason !== 'corrupt');

    it.each(byFieldAndForm)('refuses a non-numeric or non-integer %s as corrupt (%s)', (_, form, build) => {
      const bads = [
        '',
        'abc',
        '12a',
        '-',
        'NaN',
        'Infinity',
        '-Infinity',
        '1.5',
        '0.001',
        '1e400',
        '9007199254740993',
        '99999999999999999999',
      ];
      expect(notRefused(form, build, bads)).toEqual([]);
    });

    it.each(byFieldAndForm)('refuses a %s not written as a plain decimal integer as corrupt (%s)', (_, form, build) => {
      // encode() writes decimal digits, a '-' only for negatives, no leading zeros: no whitespace,
      // '+', exponent, radix prefix, decimal point, leading zero or '-0'.
      const bads = [
        ' 1000',
        '1000 ',
        '\t1000',
        '\u00a01000',
        '\u20281000',
        '+1000',
        '1e3',
        '0x3e8',
        '0b11',
        '0o7',
        '1000.0',
        '1000.',
        '01000',
        '-0',
      ];
      expect(notRefused(form, build, bads)).toEqual([]);
    });

    it('refuses a header field padded with a byte that latin1 reads as whitespace (0xA0)', () => {
      const raw = Buffer.concat([
        Buffer.from('\x1eRT3:0:json:', 'latin1'),
        Buffer.from([0xa0]),
        Buffer.from('1000:2000:0\n{"v":1}', 'latin1'),
      ]);
      expect(codec.decode(raw)).toMatchObject({ ok: false });
    });

    it.each(FORMS)('refuses a load time that encode() never writes: negative or over 2^32-1 (%s)', (form) => {
      const bads = ['-1', '-5000', String(2 ** 32), String(Number.MAX_SAFE_INTEGER)];
      expect(notRefused(form, (bad) => headerLine('json', 1_000, 2_000, bad), bads)).toEqual([]);
    });

    it.each(FORMS)('accepts negative times, which encode() writes for times before 1970 (%s)', (form) => {
      expect(decodeIn(form, `${headerLine('json', -5, -1, 0)}{"v":1}`)).toEqual({
        ok: true,
        entry: { value: { v: 1 }, createdAt: -5, freshUntil: -1, loadMs: 0 },
      });
    });

    it.each(FORMS)('refuses a payload that decodes to undefined (undefined is never stored) (%s)', (form) => {
      const undefinedCodec = new CacheEntryCodec(new UndefinedSerializer(), MAX);
      expect(decodeIn(form, undefinedCodec.encode('anything', 1, 2), undefinedCodec)).toMatchObject({
        ok: false,
        reason: 'corrupt',
      });
    });

    describe('maxValueBytes', () => {
      const small = new CacheEntryCodec(new JsonSerializer(), 64);
      // '\x1eRT3:0:json:1:2:0\n' is 18 bytes; a JSON string of n ASCII characters is n + 2.
      const room = 64 - headerLine('json', 1, 2, 0).length;

      it.each(FORMS)('refuses an entry over maxValueBytes as oversize before looking at it (%s)', (form) => {
        const fits = codec.encode('x'.repeat(room - 2), 1, 2);
        expect(Buffer.byteLength(fits)).toBe(64);
        expect(decodeIn(form, fits, small)).toMatchObject({ ok: true, entry: { value: 'x'.repeat(room - 2) } });
        const tooBig = codec.encode('x'.repeat(room - 1), 1, 2);
        expect(Buffer.byteLength(tooBig)).toBe(65);
        expect(decodeIn(form, tooBig, small)).toMatchObject({ ok: false, reason: 'oversize' });
        // Garbage that would be 'foreign' if it were looked at.
        expect(decodeIn(form, 'z'.repeat(65), small)).toMatchObject({ ok: false, reason: 'oversize' });
        expect(decodeIn(form, Buffer.alloc(65), small)).toMatchObject({ ok: false, reason: 'oversize' });
      });

      it.each(FORMS)('counts a stored entry in bytes, not characters (%s)', (form) => {
        // 40 × '€': 60 characters, 140 bytes; well-formed, so only the size can refuse it.
        const multiByte = `${headerLine('json', 1, 2, 0)}"${'€'.repeat(40)}"`;
        expect(multiByte.length).toBeLessThanOrEqual(64);
        expect(Buffer.byteLength(multiByte)).toBeGreaterThan(64);
        expect(codec.decode(inForm(form, multiByte))).toMatchObject({ ok: true });
        expect(decodeIn(form, multiByte, small)).toMatchObject({ ok: false, reason: 'oversize' });
      });
    });
  });

  describe('encode failures', () => {
    const small = new CacheEntryCodec(new JsonSerializer(), 64);
    const room = 64 - headerLine('json', 1, 2, 0).length;

    it('throws RedisCacheSerializationError for an entry over maxValueBytes, and accepts one of exactly maxValueBytes', () => {
      // A JSON string of n ASCII characters is n + 2 bytes.
      const exact = small.encode('x'.repeat(room - 2), 1, 2);
      expect(exact).toBe(`${headerLine('json', 1, 2, 0)}"${'x'.repeat(room - 2)}"`);
      expect(Buffer.byteLength(exact)).toBe(64);
      expect(() => small.encode('x'.repeat(room - 1), 1, 2)).toThrow(RedisCacheSerializationError);
      // Longer timestamps leave less room.
      expect(() => small.encode('x'.repeat(room - 2), 1_700_000_000_000, 2)).toThrow(RedisCacheSerializationError);
    });

    it('counts multi-byte characters in bytes, not UTF-16 units', () => {
      // n × '€' is 3n + 2 bytes as a JSON string, but only n + 2 UTF-16 units.
      const fits = small.encode('€'.repeat(Math.floor((room - 2) / 3)), 1, 2);
      expect(Buffer.byteLength(fits)).toBeLessThanOrEqual(64);
      const over = '€'.repeat(Math.floor((room - 2) / 3) + 1);
      expect(headerLine('json', 1, 2, 0).length + over.length + 2).toBeLessThan(64);
      expect(() => small.encode(over, 1, 2)).toThrow(RedisCacheSerializationError);
    });

    it('counts the bytes of a binary payload against maxValueBytes', () => {
      const smallV8 = new CacheEntryCodec(new V8Serializer(), 64);
      const header = headerLine('v8', 1, 2, 0).length;
      let value = 'x';
      while (header + v8Serialize(`${value}x`).length <= 64) value += 'x';
      expect(Buffer.byteLength(smallV8.encode(value, 1, 2))).toBe(64);
      expect(() => smallV8.encode(`${value}x`, 1, 2)).toThrow(RedisCacheSerializationError);
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

    it.each(FORMS)('turns a deserializer that throws into a corrupt miss, keeping the error as cause (%s)', (form) => {
      const failure = new Error('boom');
      const throwing = new CacheEntryCodec(new ThrowingSerializer(failure), MAX);
      const raw = `${headerLine('throwing', 1, 2, 0)}x`;
      expect(throwing.decode(inForm(form, raw))).toEqual({ ok: false, reason: 'corrupt', cause: failure });
    });
  });

  describe('property: arbitrary input', () => {
    /**
     * Exactly the headers encode() can write for 'json': decimal integers without leading zeros
     * (or '-0'), safe integers for the times, 0 … 2^32-1 for the load time.
     */
    // The record separator (\x1e) is the envelope's magic: matching it is the point.
    // eslint-disable-next-line no-control-regex
    const JSON_HEADER = /^\x1eRT3:([01]):json:(0|-?[1-9][0-9]*):(0|-?[1-9][0-9]*):(0|[1-9][0-9]*)\n/;

    /** The documented tag line (flag 1): a JSON array of 1 to 64 `[key, version | null]` pairs, then a newline. */
    function tagLineLength(rest: string): number | undefined {
      const end = rest.indexOf('\n');
      if (end === -1 || end > 64 * 1024) return undefined;
      let tags: unknown;
      try {
        tags = JSON.parse(rest.slice(0, end));
      } catch {
        return undefined;
      }
      const pairs =
        Array.isArray(tags) &&
        tags.length > 0 &&
        tags.length <= 64 &&
        tags.every(
          (t: unknown) =>
            Array.isArray(t) &&
            t.length === 2 &&
            typeof t[0] === 'string' &&
            (typeof t[1] === 'string' || t[1] === null),
        );
      return pairs ? end + 1 : undefined;
    }

    type Expected =
      | { ok: false }
      | { ok: true; entry: { value: unknown; createdAt: number; freshUntil: number; loadMs: number; tags?: unknown } };

    /** What decoding `raw` must give, from the documented layout alone (the header is ASCII, so latin1 reads it from bytes). */
    function oracle(raw: Buffer | string): Expected {
      const text = typeof raw === 'string' ? raw : raw.toString('latin1');
      const match = JSON_HEADER.exec(text);
      if (!match) return { ok: false };
      const [createdAt, freshUntil, loadMs] = [match[2], match[3], match[4]].map(Number) as [number, number, number];
      if (!Number.isSafeInteger(createdAt) || !Number.isSafeInteger(freshUntil) || loadMs > 0xffffffff)
        return { ok: false };
      let start = match[0].length;
      let tags: unknown;
      if (match[1] === '1') {
        const length = tagLineLength(text.slice(start));
        if (length === undefined) return { ok: false };
        tags = JSON.parse(text.slice(start, start + length - 1));
        start += length;
      }
      const payload = typeof raw === 'string' ? raw.slice(start) : raw.subarray(start).toString('utf8');
      try {
        const value = parseJson(payload);
        return {
          ok: true,
          entry: tags ? { value, createdAt, freshUntil, loadMs, tags } : { value, createdAt, freshUntil, loadMs },
        };
      } catch {
        return { ok: false };
      }
    }

    let accepted = 0;
    /** decode() must not throw, and must agree with the oracle. */
    function check(raw: Buffer | string): void {
      const expected = oracle(raw);
      let decoded: DecodeResult | undefined;
      expect(() => {
        decoded = codec.decode(raw);
      }).not.toThrow();
      if (expected.ok) {
        accepted++;
        expect(decoded).toEqual({ ok: true, entry: expected.entry });
      } else {
        expect(decoded).toMatchObject({ ok: false });
        expect(['foreign', 'version', 'serializer', 'corrupt']).toContain(!decoded!.ok && decoded!.reason);
      }
    }

    /** Both forms of a candidate: text and its UTF-8 bytes, or bytes and their UTF-8 and latin1 readings. */
    function checkAllForms(candidate: Buffer | string): void {
      if (typeof candidate === 'string') {
        check(candidate);
        check(Buffer.from(candidate, 'utf8'));
      } else {
        check(candidate);
        check(candidate.toString('utf8'));
        check(candidate.toString('latin1'));
      }
    }

    const weighted = (valid: string, ...invalid: string[]): fc.Arbitrary<string> =>
      fc.oneof({ weight: 12, arbitrary: fc.constant(valid) }, { weight: 1, arbitrary: fc.constantFrom(...invalid) });
    const anyChar = fc.oneof(
      fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
      fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)),
    );
    const number = fc.oneof(
      {
        weight: 12,
        arbitrary: fc
          .oneof(
            fc.integer(),
            fc.maxSafeInteger(),
            fc.constantFrom(0, 2 ** 32 - 1, 2 ** 32, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER),
          )
          .map(String),
      },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          '',
          ' 1',
          '1 ',
          '+1',
          '1e3',
          '0x1f',
          '1.0',
          '1.',
          '01',
          '-0',
          '1.5',
          'NaN',
          '9007199254740993',
          '\u00a07',
        ),
      },
      {
        weight: 1,
        arbitrary: fc.string({
          unit: fc.constantFrom('0', '1', '9', '-', '+', '.', 'e', 'x', ' ', ':', '\n', '\u00a0'),
          maxLength: 6,
        }),
      },
    );
    const payload = fc.oneof(
      { weight: 3, arbitrary: fc.json() },
      { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          '',
          ' ',
          'undefined',
          '{',
          '{"__proto__":{"x":1},"a":1}',
          '{"constructor":1}',
          '"\\u005f_proto__"',
        ),
      },
    );
    /** Headers assembled from valid parts with, now and then, one part wrong. */
    const assembled = fc
      .tuple(
        weighted('\x1eRT', '\x1eR', 'RT', '\x1ert', '\x1fRT', '\x1eRT\x1eRT', ''),
        weighted('3', '', '2', '4', '33', 'x'),
        weighted(':0:', ':1:', '::', ':0', ':00:'),
        weighted('json', '', 'jso', 'json2', 'JSON', 'v8'),
        weighted(':', '', ';', '::'),
        number,
        weighted(':', '', ';'),
        number,
        weighted(':', ''),
        number,
        weighted('\n', '', '\r\n', ' \n', '\n\n'),
        payload,
      )
      .map((parts) => parts.join(''));
    /** JSON values the JSON serializer stores (it refuses, on write, keys that could pollute prototypes). */
    const storableJson = fc
      .jsonValue()
      .filter((value) => !/"(__proto__|constructor|prototype)":/.test(JSON.stringify(value)));
    /** A real entry with one character of its header replaced, deleted, or inserted. */
    const mutated = fc
      .tuple(
        storableJson,
        fc.maxSafeInteger(),
        fc.maxSafeInteger(),
        fc.nat(),
        fc.nat({ max: 60 }),
        fc.constantFrom('replace', 'delete', 'insert'),
        fc.oneof(anyChar, fc.constantFrom(':', '\n', '0', '1', '-', ' ')),
      )
      .map(([value, createdAt, freshUntil, loadMs, at, edit, char]) => {
        const raw = codec.encode(value, createdAt, freshUntil, loadMs) as string;
        const rest = edit === 'insert' ? raw.slice(at) : raw.slice(at + 1);
        return raw.slice(0, at) + (edit === 'delete' ? '' : char) + rest;
      });
    /** Real entries, so the accepting side is exercised with arbitrary values and times. */
    const real = fc
      .tuple(storableJson, fc.maxSafeInteger(), fc.maxSafeInteger(), fc.nat())
      .map(([value, createdAt, freshUntil, loadMs]) => codec.encode(value, createdAt, freshUntil, loadMs) as string);
    const candidates = fc.oneof(
      real,
      fc.string({ unit: 'binary', maxLength: 100 }),
      fc.string({ unit: anyChar, maxLength: 100 }),
      fc.string({ unit: 'binary', maxLength: 60 }).map((tail) => `\x1eRT3:0:json:${tail}`),
      fc.uint8Array({ maxLength: 100 }).map((bytes) => Buffer.from(bytes)),
      fc.uint8Array({ maxLength: 60 }).map((bytes) => Buffer.concat([Buffer.from('\x1eRT3:0:json:', 'latin1'), bytes])),
      assembled,
      mutated,
    );

    it('decode never throws on arbitrary strings and bytes, and accepts exactly the well-formed entries', () => {
      accepted = 0;
      fc.assert(fc.property(candidates, checkAllForms), { numRuns: 2000 });
      // The generators must reach the accepting side often enough for this to mean something.
      expect(accepted).toBeGreaterThan(400);
    });

    const time = fc.oneof(
      fc.maxSafeInteger(),
      fc.double({ min: -(2 ** 52), max: 2 ** 52, noNaN: true }),
      fc.integer({ min: 0, max: 4_102_444_800_000 }),
    );
    const load = fc.oneof(fc.nat(), fc.double({ min: -1_000, max: 2 ** 34, noNaN: true }));

    /** Whole milliseconds as stored: floored, and -0 reads back as 0. */
    const whole = (ms: number): number => Math.floor(ms) + 0;

    it('encode → decode round-trips JSON values through the string and the bytes', () => {
      fc.assert(
        fc.property(fc.jsonValue(), time, time, load, (value, createdAt, freshUntil, loadMs) => {
          if (/"(__proto__|constructor|prototype)":/.test(JSON.stringify(value))) {
            // Not stored at all rather than stored without those keys.
            expect(() => codec.encode(value, createdAt, freshUntil, loadMs)).toThrow(RedisCacheSerializationError);
            return;
          }
          const encoded = codec.encode(value, createdAt, freshUntil, loadMs);
          expect(typeof encoded).toBe('string');
          const json = JSON.stringify(value);
          const expectedLoad = Math.min(Math.max(0, Math.round(loadMs)), 2 ** 32 - 1);
          expect(encoded).toBe(`${headerLine('json', whole(createdAt), whole(freshUntil), expectedLoad)}${json}`);
          const entry = {
            value: parseJson(json),
            createdAt: whole(createdAt),
            freshUntil: whole(freshUntil),
            loadMs: expectedLoad,
          };
          expect(codec.decode(encoded)).toEqual({ ok: true, entry });
          expect(codec.decode(Buffer.from(encoded))).toEqual({ ok: true, entry });
        }),
        { numRuns: 1000 },
      );
    });
  });
});

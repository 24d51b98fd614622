/**
 * Compressed entries (flags 2 = gzip, 4 = brotli, plus 1 when tagged), as documented in
 * cache-entry.codec.ts: byte-identical round trips, plain and compressed entries read by any
 * codec whatever its own setting, the threshold, and untrusted compressed bytes (corrupted,
 * truncated, a zip bomb) refused as a miss, never thrown and never past maxValueBytes.
 */
import { randomBytes } from 'node:crypto';
import { brotliCompressSync, gunzipSync, brotliDecompressSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { RedisCacheSerializationError } from '../../../lib/errors/redis-cache-serialization.error.js';
import { HttpEntrySerializer } from '../../../lib/http/http-entry.serializer.js';
import { CacheEntryCodec, type EntryTags } from '../../../lib/serializers/cache-entry.codec.js';
import { CacheSerializer } from '../../../lib/serializers/cache.serializer.js';
import { JsonSerializer } from '../../../lib/serializers/json.serializer.js';
import type { ResolvedCompressionOptions } from '../../../lib/serializers/payload.compression.js';
import { V8Serializer } from '../../../lib/serializers/v8.serializer.js';

const MAX = 1024 * 1024;
const GZIP: ResolvedCompressionOptions = { algorithm: 'gzip', threshold: 1024, level: 6 };
const BROTLI: ResolvedCompressionOptions = { algorithm: 'brotli', threshold: 1024, level: 5 };
const TAGS: EntryTags = [['p:{p:__tags__}:books', 'v1AAAAAAAAAAAAAA']];

/** A JSON value of about `bytes` serialized bytes, compressible like real data (repeated keys, varied values). */
function bigValue(bytes: number): { rows: { id: number; name: string; note: string }[] } {
  const rows = [];
  for (let i = 0; JSON.stringify(rows).length < bytes; i++) {
    rows.push({ id: i, name: `item ${i} é✓`, note: `row ${(i * 7919) % 1000} of the catalogue` });
  }
  return { rows };
}

/** Header and payload of an encoded entry, split at the header's (and tag line's) end. */
function split(raw: Buffer, lines = 1): { header: string; payload: Buffer } {
  let end = -1;
  for (let i = 0; i < lines; i++) end = raw.indexOf('\n', end + 1);
  return { header: raw.toString('latin1', 0, end + 1), payload: raw.subarray(end + 1) };
}

/** Stores a Buffer as it is: random bytes do not compress. */
class RawBytes extends CacheSerializer {
  readonly id = 'raw';
  serialize(value: unknown): Buffer {
    return value as Buffer;
  }
  deserialize(raw: Buffer): unknown {
    return Buffer.from(raw);
  }
}

function asBytes(raw: Buffer | string): Buffer {
  return typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw;
}

describe('CacheEntryCodec compression', () => {
  const json = new CacheEntryCodec(new JsonSerializer(), MAX);
  const gzip = new CacheEntryCodec(new JsonSerializer(), MAX, GZIP);
  const brotli = new CacheEntryCodec(new JsonSerializer(), MAX, BROTLI);
  const value = bigValue(100 * 1024);
  const serialized = Buffer.from(JSON.stringify(value));

  it('a codec that compresses reads bytes; one that does not keeps reading text', () => {
    expect(gzip.textual).toBe(false);
    expect(json.textual).toBe(true);
  });

  it.each([
    ['gzip', '2', gzip, gunzipSync],
    ['brotli', '4', brotli, brotliDecompressSync],
  ] as const)(
    '%s: flag %s, the payload is the serializer output compressed, byte-identical after inflating',
    (_n, flag, codec, inflate) => {
      const raw = codec.encode(value, 1000, 2000, 7);
      expect(Buffer.isBuffer(raw)).toBe(true);
      const { header, payload } = split(raw as Buffer);
      expect(header).toBe(`\x1eRT3:${flag}:json:1000:2000:7\n`);
      expect(inflate(payload).equals(serialized)).toBe(true);
      expect(payload.length).toBeLessThan(serialized.length / 2);
      expect(codec.decode(raw)).toEqual({ ok: true, entry: { value, createdAt: 1000, freshUntil: 2000, loadMs: 7 } });
    },
  );

  it.each([
    ['gzip', '3', gzip],
    ['brotli', '5', brotli],
  ] as const)('%s with tags: flag %s, the ASCII tag line stays uncompressed before the payload', (_n, flag, codec) => {
    const raw = codec.encode(value, 1000, 2000, 0, TAGS) as Buffer;
    const { header } = split(raw, 2);
    expect(header).toBe(`\x1eRT3:${flag}:json:1000:2000:0\n${JSON.stringify(TAGS)}\n`);
    expect(codec.decode(raw)).toEqual({
      ok: true,
      entry: { value, createdAt: 1000, freshUntil: 2000, loadMs: 0, tags: TAGS },
    });
    expect(json.decode(raw)).toMatchObject({ ok: true, entry: { value, tags: TAGS } });
  });

  it('compresses from exactly threshold serialized bytes; one byte fewer is stored plain, as a string', () => {
    const codec = new CacheEntryCodec(new JsonSerializer(), MAX, { ...GZIP, threshold: 2000 });
    const below = 'a'.repeat(2000 - 3); // a JSON string: 2 quotes + n letters
    const at = 'a'.repeat(2000 - 2);
    const plain = codec.encode(below, 1, 2);
    expect(plain).toBe(`\x1eRT3:0:json:1:2:0\n${JSON.stringify(below)}`);
    const packed = codec.encode(at, 1, 2) as Buffer;
    expect(split(packed).header).toBe('\x1eRT3:2:json:1:2:0\n');
    expect(gunzipSync(split(packed).payload).toString()).toBe(JSON.stringify(at));
    expect(codec.decode(plain)).toMatchObject({ ok: true, entry: { value: below } });
    expect(codec.decode(asBytes(plain))).toMatchObject({ ok: true, entry: { value: below } });
    expect(codec.decode(packed)).toMatchObject({ ok: true, entry: { value: at } });
  });

  it('stores an incompressible payload plain: compressing it would not make it smaller', () => {
    const codec = new CacheEntryCodec(new RawBytes(), MAX, { ...GZIP, threshold: 0 });
    const noise = randomBytes(4096);
    const raw = codec.encode(noise, 1, 2) as Buffer;
    expect(split(raw).header).toBe('\x1eRT3:0:raw:1:2:0\n');
    expect(split(raw).payload.equals(noise)).toBe(true);
    expect((codec.decode(raw) as { ok: true; entry: { value: Buffer } }).entry.value.equals(noise)).toBe(true);
  });

  it('binary serializers round-trip compressed through both algorithms', () => {
    const rich = { when: new Date(5), text: 'v'.repeat(5000), big: 10n, bytes: new Uint8Array(3000).fill(7) };
    for (const options of [GZIP, BROTLI]) {
      const codec = new CacheEntryCodec(new V8Serializer(), MAX, options);
      const raw = codec.encode(rich, 1, 2) as Buffer;
      expect(split(raw).header).toBe(`\x1eRT3:${options === GZIP ? 2 : 4}:v8:1:2:0\n`);
      const decoded = codec.decode(raw) as { ok: true; entry: { value: typeof rich } };
      // Cross-realm (Jest's VM): compare what the values hold, not their prototypes.
      expect(decoded.entry.value.when.getTime()).toBe(5);
      expect(decoded.entry.value.text).toBe(rich.text);
      expect(decoded.entry.value.big).toBe(10n);
      expect(Buffer.from(decoded.entry.value.bytes).equals(Buffer.from(rich.bytes))).toBe(true);
    }
  });

  it('route entries (HttpEntrySerializer) round-trip compressed, body byte-identical', () => {
    const body = JSON.stringify(value);
    const entry = { status: 200, headers: { 'content-type': 'application/json' }, encoding: 'utf8', body };
    const codec = new CacheEntryCodec(new HttpEntrySerializer(), MAX, GZIP);
    const raw = codec.encode(entry, 1, 2) as Buffer;
    expect(split(raw).header).toBe('\x1eRT3:2:http:1:2:0\n');
    const decoded = codec.decode(raw) as { ok: true; entry: { value: typeof entry } };
    expect(decoded.entry.value.body === body).toBe(true);
    expect(decoded.entry.value).toEqual(entry);
  });

  describe('mixed entries: every codec reads both forms', () => {
    it('a codec without compression decodes compressed entries read as bytes', () => {
      for (const raw of [gzip.encode(value, 1, 2), brotli.encode(value, 1, 2)]) {
        expect(json.decode(raw)).toMatchObject({ ok: true, entry: { value } });
      }
    });

    it('a text read of a compressed entry asks for the bytes (needsBytes), and is never decoded from the mangled text', () => {
      const raw = gzip.encode(value, 1, 2) as Buffer;
      const asText = raw.toString('utf8');
      expect(json.needsBytes(asText)).toBe(true);
      expect(json.decode(asText)).toMatchObject({ ok: false, reason: 'corrupt' });
      expect(json.needsBytes(json.encode(value, 1, 2) as string)).toBe(false);
      expect(json.needsBytes(json.encode(value, 1, 2, 0, TAGS) as string)).toBe(false);
      expect(json.needsBytes('plain text someone wrote')).toBe(false);
    });

    it('codecs with compression decode plain entries in both read forms, and each other’s', () => {
      const plain = json.encode(value, 1, 2) as string;
      for (const codec of [gzip, brotli]) {
        expect(codec.decode(plain)).toMatchObject({ ok: true, entry: { value } });
        expect(codec.decode(asBytes(plain))).toMatchObject({ ok: true, entry: { value } });
      }
      expect(gzip.decode(brotli.encode(value, 1, 2))).toMatchObject({ ok: true, entry: { value } });
      expect(brotli.decode(gzip.encode(value, 1, 2))).toMatchObject({ ok: true, entry: { value } });
    });

    it('a compressed entry of another serializer is refused as "serializer"; unknown flag bits as corrupt', () => {
      const v8 = new CacheEntryCodec(new V8Serializer(), MAX);
      expect(v8.decode(gzip.encode(value, 1, 2))).toMatchObject({ ok: false, reason: 'serializer' });
      const { payload } = split(gzip.encode(value, 1, 2) as Buffer);
      for (const flags of ['6', '7', '8', '9', '12']) {
        const forged = Buffer.concat([Buffer.from(`\x1eRT3:${flags}:json:1:2:0\n`, 'latin1'), payload]);
        expect(json.decode(forged)).toMatchObject({ ok: false, reason: 'corrupt' });
      }
    });
  });

  describe('untrusted compressed bytes (a miss, never a throw)', () => {
    const entry = (flags: number, payload: Buffer): Buffer =>
      Buffer.concat([Buffer.from(`\x1eRT3:${flags}:json:1:2:0\n`, 'latin1'), payload]);

    it('refuses truncated payloads of both algorithms as corrupt', () => {
      for (const [flags, codec] of [
        [2, gzip],
        [4, brotli],
      ] as const) {
        const { payload } = split(codec.encode(value, 1, 2) as Buffer);
        for (const cut of [1, 10, payload.length >> 1, payload.length - 1]) {
          expect(json.decode(entry(flags, payload.subarray(0, cut)))).toMatchObject({ ok: false, reason: 'corrupt' });
        }
        expect(json.decode(entry(flags, Buffer.alloc(0)))).toMatchObject({ ok: false, reason: 'corrupt' });
      }
    });

    it('refuses a gzip payload with any flipped byte (its CRC), and plain JSON under a gzip flag', () => {
      const { payload } = split(gzip.encode(value, 1, 2) as Buffer);
      for (const at of [0, 3, 12, payload.length >> 1, payload.length - 5, payload.length - 1]) {
        const flipped = Buffer.from(payload);
        flipped[at] = flipped[at]! ^ 0x5a;
        expect(json.decode(entry(2, flipped))).toMatchObject({ ok: false, reason: 'corrupt' });
      }
      expect(json.decode(entry(2, serialized))).toMatchObject({ ok: false, reason: 'corrupt' });
      expect(json.decode(entry(4, serialized))).toMatchObject({ ok: false, reason: 'corrupt' });
    });

    it('never throws on arbitrary bytes under compressed flags, nor on mutated real entries', () => {
      const real = [gzip, brotli].map((codec) => split(codec.encode(bigValue(3000), 1, 2) as Buffer).payload);
      fc.assert(
        fc.property(
          fc.constantFrom(2, 3, 4, 5),
          fc.oneof(
            fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)),
            fc.tuple(fc.constantFrom(...real), fc.nat(), fc.integer({ min: 1, max: 255 })).map(([p, at, x]) => {
              const copy = Buffer.from(p);
              copy[at % copy.length] = copy[at % copy.length]! ^ x;
              return copy;
            }),
          ),
          (flags, payload) => {
            const raw = entry(flags, payload);
            expect(() => json.decode(raw)).not.toThrow();
            expect(() => json.decode(raw.toString('utf8'))).not.toThrow();
          },
        ),
        { numRuns: 500 },
      );
    });

    it.each([
      ['gzip', 2, (b: Buffer) => gzipSync(b, { level: 9 })],
      ['brotli', 4, (b: Buffer) => brotliCompressSync(b)],
    ] as const)('refuses a %s zip bomb as oversize, inflating no more than maxValueBytes', (_n, flags, compress) => {
      // 64 MiB of "[[[[…" in a few KB: planted by anyone who can write to the Redis.
      const bomb = compress(Buffer.alloc(64 * 1024 * 1024, '['));
      expect(bomb.length).toBeLessThan(MAX / 4);
      const before = process.memoryUsage().arrayBuffers;
      const result = json.decode(entry(flags, bomb));
      expect(result).toMatchObject({ ok: false, reason: 'oversize' });
      // Bounded by MAX (1 MiB) plus zlib's chunks, far below the 64 MiB it expands to.
      expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 * MAX);
    });

    it('decodes exactly maxValueBytes (header + inflated payload) and refuses one byte more', () => {
      const header = '\x1eRT3:2:json:1:2:0\n';
      const max = 4096;
      const codec = new CacheEntryCodec(new JsonSerializer(), max, { ...GZIP, threshold: 0 });
      const fits = JSON.stringify('b'.repeat(max - header.length - 2));
      expect(header.length + fits.length).toBe(max);
      expect(codec.decode(entry(2, gzipSync(fits)))).toMatchObject({ ok: true, entry: { value: JSON.parse(fits) } });
      const over = JSON.stringify('b'.repeat(max - header.length - 1));
      expect(codec.decode(entry(2, gzipSync(over)))).toMatchObject({ ok: false, reason: 'oversize' });
    });
  });

  it('refuses to encode a value over maxValueBytes uncompressed, although it would fit compressed', () => {
    const codec = new CacheEntryCodec(new JsonSerializer(), 8192, { ...GZIP, threshold: 0 });
    const tooBig = 'c'.repeat(9000); // gzips to a few dozen bytes
    expect(() => codec.encode(tooBig, 1, 2)).toThrow(RedisCacheSerializationError);
    expect(() => codec.encode('c'.repeat(8000), 1, 2)).not.toThrow();
  });
});

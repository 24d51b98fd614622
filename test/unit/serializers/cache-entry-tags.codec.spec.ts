/**
 * The tag line of an entry (flag 1) and write markers, as documented in cache-entry.codec.ts:
 * tags round-trip through both read forms, a malformed tag line is refused (a miss), a marker
 * reads as absent without being a rejection.
 */
import { CacheEntryCodec, WRITE_MARKER, type EntryTags } from '../../../lib/serializers/cache-entry.codec.js';
import { JsonSerializer } from '../../../lib/serializers/json.serializer.js';
import { V8Serializer } from '../../../lib/serializers/v8.serializer.js';

const json = new CacheEntryCodec(new JsonSerializer(), 1024 * 1024);
const v8 = new CacheEntryCodec(new V8Serializer(), 1024 * 1024);
const TAGS: EntryTags = [
  ['shop:{shop:__tags__}:books', 'v1AAAAAAAAAAAAAA'],
  ['shop:{shop:__tags__}:author:é7', null],
];

function asBytes(raw: Buffer | string): Buffer {
  return typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw;
}

describe('CacheEntryCodec tags', () => {
  it('writes flag 1 and an ASCII JSON tag line between the header and the payload', () => {
    const raw = json.encode({ a: 1 }, 1000, 2000, 5, TAGS) as string;
    const [header, tagLine, payload] = raw.split('\n');
    expect(header).toBe('\x1eRT3:1:json:1000:2000:5');
    expect(/^[\x20-\x7e]*$/.test(tagLine)).toBe(true);
    expect(JSON.parse(tagLine)).toEqual(TAGS);
    expect(payload).toBe('{"a":1}');
  });

  it.each([
    ['json as text', json, (raw: Buffer | string) => raw],
    ['json as bytes', json, asBytes],
    ['v8 as bytes', v8, asBytes],
  ] as const)('round-trips the tags and the value (%s)', (_name, codec, form) => {
    const value = { title: 'Ülysses', n: [1, 2] };
    const decoded = codec.decode(form(codec.encode(value, 10, 20, 0, TAGS)));
    expect(decoded).toEqual({ ok: true, entry: { value, createdAt: 10, freshUntil: 20, loadMs: 0, tags: TAGS } });
  });

  it('an untagged entry has no tags field and keeps flag 0', () => {
    const raw = json.encode('x', 1, 2) as string;
    expect(raw.startsWith('\x1eRT3:0:json:')).toBe(true);
    const decoded = json.decode(raw);
    expect(decoded.ok && 'tags' in decoded.entry).toBe(false);
  });

  it.each([
    ['not JSON', 'nope'],
    ['not an array', '{"a":1}'],
    ['an empty list', '[]'],
    ['a pair of three', '[["k","v","x"]]'],
    ['a numeric version', '[["k",1]]'],
    ['a non-string key', '[[1,"v"]]'],
    ['too many tags', JSON.stringify(Array.from({ length: 65 }, (_, i) => [`k${i}`, 'v']))],
  ])('refuses a tag line that is %s', (_name, line) => {
    const raw = `\x1eRT3:1:json:1:2:0\n${line}\n"value"`;
    expect(json.decode(raw)).toMatchObject({ ok: false, reason: 'corrupt' });
    expect(json.decode(Buffer.from(raw))).toMatchObject({ ok: false, reason: 'corrupt' });
  });

  it('refuses a tagged header without a tag line end', () => {
    expect(json.decode('\x1eRT3:1:json:1:2:0\n[["k","v"]]')).toMatchObject({ ok: false, reason: 'corrupt' });
  });

  it('a flag other than 0 or 1 is refused as corrupt; another serializer with flag 1 as serializer', () => {
    expect(json.decode('\x1eRT3:2:json:1:2:0\n"v"')).toMatchObject({ ok: false, reason: 'corrupt' });
    expect(json.decode(v8.encode('v', 1, 2, 0, TAGS))).toMatchObject({ ok: false, reason: 'serializer' });
  });

  it('a write marker decodes as pending (absent), in both forms', () => {
    const marker = `${WRITE_MARKER}abc123`;
    expect(json.decode(marker)).toEqual({ ok: false, reason: 'pending' });
    expect(v8.decode(Buffer.from(marker))).toEqual({ ok: false, reason: 'pending' });
  });
});

import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { CacheKeyBuilder, MAX_PLAIN_KEY_BYTES } from '../../../lib/keys/cache-key.builder.js';

const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');
const sha256 = (s: string): string => createHash('sha256').update(Buffer.from(s, 'utf8')).digest('hex');
// A hashed key is 513 bytes: a 448-byte head, '#', and 64 hex digits.
const HEAD_BYTES = 513 - 1 - 64;

/**
 * The expected readable head of a hashed key: the longest run of whole characters (code
 * points) of `full` that fits in HEAD_BYTES UTF-8 bytes, derived character by character,
 * independently of the byte arithmetic in the builder.
 */
function expectedHead(full: string): string {
  let head = '';
  let size = 0;
  for (const char of full) {
    size += bytes(char);
    if (size > HEAD_BYTES) break;
    head += char;
  }
  return head;
}

describe('CacheKeyBuilder', () => {
  const builder = new CacheKeyBuilder('shop');

  it('caps plain keys at 512 bytes', () => {
    expect(MAX_PLAIN_KEY_BYTES).toBe(512);
  });

  it('stores a key with a lone surrogate in the digested form (UTF-16 digest): well-formed, 513 bytes, distinct per surrogate', () => {
    const [a, b] = ['\ud800', '\udbff'].map((s) => builder.build('default', `profile:mallory${s}`));
    for (const key of [a, b]) {
      expect((key as string & { isWellFormed(): boolean }).isWellFormed()).toBe(true);
      expect(bytes(key)).toBe(513);
      expect(key.startsWith('shop:default:profile:mallory\ufffd')).toBe(true);
    }
    // As UTF-8 both would be "mallory\ufffd": one entry for two callers.
    expect(a).not.toBe(b);
    expect(
      a.endsWith(`#${createHash('sha256').update('shop:default:profile:mallory\ud800', 'utf16le').digest('hex')}`),
    ).toBe(true);
    expect(builder.build('default', 'profile:mallory\ufffd')).toBe('shop:default:profile:mallory\ufffd');
  });

  it('joins <prefix>:<namespace>:<key>', () => {
    expect(builder.build('default', 'route:abc')).toBe('shop:default:route:abc');
    expect(builder.build('users', '')).toBe('shop:users:');
  });

  it('gives the prefix of a namespace, and of all namespaces', () => {
    expect(builder.namespacePrefix('users')).toBe('shop:users:');
    expect(builder.namespacePrefix()).toBe('shop:');
    expect(builder.build('users', 'x').startsWith(builder.namespacePrefix('users'))).toBe(true);
  });

  it('keeps a key of exactly 512 bytes plain', () => {
    const key = 'k'.repeat(512 - bytes('shop:ns:'));
    const built = builder.build('ns', key);
    expect(bytes(built)).toBe(512);
    expect(built).toBe(`shop:ns:${key}`);
  });

  it('keeps a multi-byte key of exactly 512 bytes plain', () => {
    // 'shop:ns:' is 8 bytes; 168 × '€' (3 bytes each) = 504 bytes.
    const key = '€'.repeat(168);
    expect(bytes(`shop:ns:${key}`)).toBe(512);
    expect(builder.build('ns', key)).toBe(`shop:ns:${key}`);
  });

  it('hashes a key of 513 bytes into exactly 513 bytes, head + "#" + sha256 of the full key', () => {
    const key = 'k'.repeat(513 - bytes('shop:ns:'));
    const full = `shop:ns:${key}`;
    const built = builder.build('ns', key);
    expect(bytes(built)).toBe(513);
    expect(built).toBe(`${full.slice(0, HEAD_BYTES)}#${sha256(full)}`);
  });

  it('hashes a long key: 513 bytes, readable head, "#" + 64 hex digits of the sha256 of the full key', () => {
    const key = `report:${'2024-01-01,'.repeat(100)}`;
    const full = `shop:default:${key}`;
    const built = builder.build('default', key);
    expect(bytes(built)).toBe(513);
    expect(built.endsWith(`#${sha256(full)}`)).toBe(true);
    expect(built).toMatch(/#[0-9a-f]{64}$/);
    expect(built.startsWith('shop:default:report:2024-01-01,2024-01-01,')).toBe(true);
    expect(built.slice(0, -65)).toBe(full.slice(0, HEAD_BYTES));
  });

  it('gives different results for long keys that differ only after the head', () => {
    const head = 'x'.repeat(600);
    const a = builder.build('ns', `${head}a`);
    const b = builder.build('ns', `${head}b`);
    expect(a).not.toBe(b);
    expect(a.slice(0, -64)).toBe(b.slice(0, -64));
  });

  it('gives different results for the same long key in different namespaces and prefixes', () => {
    const key = 'y'.repeat(700);
    const results = [builder.build('a', key), builder.build('b', key), new CacheKeyBuilder('other').build('a', key)];
    expect(new Set(results).size).toBe(3);
  });

  it.each([
    ['2-byte', 'é'],
    ['3-byte', '€'],
    ['4-byte', '🐈'],
  ])('does not split a %s character at the cut, and pads the head to a fixed length with "_"', (_, char) => {
    const charBytes = bytes(char);
    // Try every alignment of the character against the cut.
    for (let shift = 0; shift < charBytes; shift++) {
      const key = 'a'.repeat(shift) + char.repeat(300);
      const full = `shop:ns:${key}`;
      const built = builder.build('ns', key);
      const head = expectedHead(full);
      expect(Buffer.from(built, 'utf8').toString('utf8')).toBe(built);
      expect(built).not.toContain('\uFFFD');
      expect(bytes(built)).toBe(513);
      expect(built).toBe(`${head}${'_'.repeat(HEAD_BYTES - bytes(head))}#${sha256(full)}`);
    }
  });

  it('property: plain up to 512 bytes, otherwise exactly 513 well-formed bytes with the expected head and digest', () => {
    const text = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 400 }),
      fc.string({ unit: 'grapheme-ascii', minLength: 400, maxLength: 700 }),
      fc
        .array(fc.constantFrom('a', 'é', '€', '🐈', ':'), { minLength: 100, maxLength: 300 })
        .map((parts) => parts.join('')),
    );
    fc.assert(
      fc.property(text, (key) => {
        const full = `shop:ns:${key}`;
        const built = builder.build('ns', key);
        if (bytes(full) <= 512) {
          expect(built).toBe(full);
          return;
        }
        const head = expectedHead(full);
        expect(bytes(built)).toBe(513);
        expect(Buffer.from(built, 'utf8').toString('utf8')).toBe(built);
        expect(built).toBe(`${head}${'_'.repeat(HEAD_BYTES - bytes(head))}#${sha256(full)}`);
      }),
      { numRuns: 1000 },
    );
  });

  it('property: different keys never give the same stored key', () => {
    const longish = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 300 }),
      fc
        .array(fc.constantFrom('a', 'é', '€', '🐈', '_', '#'), { minLength: 150, maxLength: 260 })
        .map((parts) => parts.join('')),
    );
    fc.assert(
      fc.property(longish, longish, (a, b) => {
        fc.pre(a !== b);
        expect(builder.build('ns', a)).not.toBe(builder.build('ns', b));
      }),
      { numRuns: 1000 },
    );
  });
});

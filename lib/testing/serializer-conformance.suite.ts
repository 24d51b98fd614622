import { equal, ok } from 'node:assert/strict';
import { CacheEntryCodec } from '../serializers/cache-entry.codec.js';
import type { CacheSerializer } from '../serializers/cache.serializer.js';

/** One check of the serializer contract; `run` throws an `AssertionError` when it fails. */
export interface SerializerConformanceCase {
  readonly name: string;
  run(serializer: CacheSerializer): void;
}

const JSON_VALUES: Record<string, unknown> = {
  'a plain object': { id: 7, name: 'Ada', tags: ['a', 'b'], nested: { ok: true, ratio: 0.25 } },
  'an array of objects': [{ a: 1 }, { b: [2, 3] }],
  'a string with unicode and control characters': 'héllo 🌍 \u0000\n"quoted"',
  'an empty string': '',
  zero: 0,
  'a negative float': -12.5,
  false: false,
  null: null,
  'a 1 MB string': 'x'.repeat(1024 * 1024),
};

/**
 * Compares decoded JSON-shaped values by their canonical JSON text. `deepStrictEqual` would also
 * compare prototypes, and `node:v8` builds objects in Node's main realm, not in a test runner's
 * (jest's) realm, which would fail a correct serializer.
 */
function assertSameJson(actual: unknown, expected: unknown): void {
  equal(JSON.stringify(actual), JSON.stringify(expected));
}

function roundTrip(serializer: CacheSerializer, value: unknown): unknown {
  const encoded = serializer.serialize(value);
  const bytes = typeof encoded === 'string' ? Buffer.from(encoded, 'utf8') : encoded;
  ok(Buffer.isBuffer(bytes), 'serialize() must return a Buffer or a string');
  return serializer.deserialize(bytes);
}

/**
 * The contract every serializer must keep, framework-agnostic. Use it in your own tests:
 *
 * @example
 * describe('MySerializer', () => {
 *   it.each(SERIALIZER_CONFORMANCE_CASES.map((c) => [c.name, c]))('%s', (_, c) => c.run(new MySerializer()));
 * });
 */
export const SERIALIZER_CONFORMANCE_CASES: readonly SerializerConformanceCase[] = [
  {
    name: 'has an id of 1 to 32 of A-Z a-z 0-9 . _ + -',
    run: (s) => ok(/^[\w.+-]{1,32}$/.test(s.id), `invalid id ${JSON.stringify(s.id)}`),
  },
  ...Object.entries(JSON_VALUES).map(([label, value]) => ({
    name: `round-trips ${label}`,
    run: (s: CacheSerializer) => assertSameJson(roundTrip(s, value), value),
  })),
  {
    name: 'returns a fresh object on every decode (no shared mutable state)',
    run: (s) => {
      const bytes = Buffer.from(toBytes(s.serialize({ list: [1] })));
      const first = s.deserialize(bytes) as { list: number[] };
      first.list.push(2);
      assertSameJson(s.deserialize(bytes), { list: [1] });
    },
  },
  {
    name: 'throws (never returns a wrong value silently) on truncated bytes, or decodes them to something the envelope refuses',
    run: (s) => {
      const bytes = toBytes(s.serialize({ id: 1, name: 'a longer value to truncate' }));
      const truncated = bytes.subarray(0, Math.floor(bytes.length / 2));
      let decoded: unknown;
      try {
        decoded = s.deserialize(truncated);
      } catch {
        return;
      }
      ok(
        JSON.stringify(decoded) !== JSON.stringify({ id: 1, name: 'a longer value to truncate' }),
        'truncated bytes decoded to the original value',
      );
    },
  },
  {
    name: 'round-trips through the cache entry envelope, and another serializer id is refused',
    run: (s) => {
      const codec = new CacheEntryCodec(s, 16 * 1024 * 1024);
      const entry = codec.encode({ v: 1 }, 1_000, 2_000);
      // Read back the way the executor reads it: as text only for serializers with deserializeText.
      const decoded = codec.decode(codec.textual ? entry : toBytes(entry));
      ok(decoded.ok, 'envelope decode failed');
      assertSameJson(decoded.entry, { value: { v: 1 }, createdAt: 1_000, freshUntil: 2_000, loadMs: 0 });
      const other = new CacheEntryCodec(
        { id: `${s.id.slice(0, 30)}-x`, serialize: s.serialize.bind(s), deserialize: s.deserialize.bind(s) },
        1024,
      );
      const refused = other.decode(codec.textual ? entry : toBytes(entry));
      ok(!refused.ok && refused.reason === 'serializer', 'an entry of another serializer id was accepted');
    },
  },
];

function toBytes(encoded: Buffer | string): Buffer {
  return typeof encoded === 'string' ? Buffer.from(encoded, 'utf8') : encoded;
}

/**
 * Runs every {@link SERIALIZER_CONFORMANCE_CASES} check and throws one `AggregateError` listing
 * the failures. Handy outside a test runner (e.g. at app start in development).
 */
export function assertSerializerConformance(serializer: CacheSerializer): void {
  const failures: Error[] = [];
  for (const check of SERIALIZER_CONFORMANCE_CASES) {
    try {
      check.run(serializer);
    } catch (error) {
      failures.push(new Error(`${check.name}: ${error instanceof Error ? error.message : String(error)}`));
    }
  }
  if (failures.length > 0)
    throw new AggregateError(failures, `${serializer.id} failed ${failures.length} conformance check(s)`);
}

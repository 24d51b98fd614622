import {
  assertSerializerConformance,
  SERIALIZER_CONFORMANCE_CASES,
} from '../../../lib/testing/serializer-conformance.suite.js';
import { CacheSerializer } from '../../../lib/serializers/cache.serializer.js';
import { JsonSerializer } from '../../../lib/serializers/json.serializer.js';
import { MsgpackSerializer } from '../../../lib/serializers/msgpack.serializer.js';
import { V8Serializer } from '../../../lib/serializers/v8.serializer.js';
import { TranspiledLib } from '../support/transpiled-lib.helper.js';
import { BytesOnlyJson, RenamedJson } from '../support/json-variants.fixture.js';

const SERIALIZERS: readonly (readonly [string, () => CacheSerializer])[] = [
  ['JsonSerializer', () => new JsonSerializer()],
  ['V8Serializer', () => new V8Serializer()],
  ['MsgpackSerializer', () => new MsgpackSerializer()],
];

/** Loses everything after the 16th character of a string. */
class TruncatingSerializer extends CacheSerializer {
  readonly id = 'truncating';
  serialize(value: unknown): string {
    return JSON.stringify(value);
  }
  deserialize(raw: Buffer): unknown {
    const value: unknown = JSON.parse(raw.toString('utf8'));
    return typeof value === 'string' ? value.slice(0, 16) : value;
  }
}

/** Hands out one shared object: a caller mutating it corrupts later reads. */
class SharingSerializer extends CacheSerializer {
  readonly id = 'sharing';
  private readonly memo = new Map<string, unknown>();
  serialize(value: unknown): string {
    return JSON.stringify(value);
  }
  deserialize(raw: Buffer): unknown {
    const text = raw.toString('utf8');
    if (!this.memo.has(text)) this.memo.set(text, JSON.parse(text));
    return this.memo.get(text);
  }
}

const ID_CHECK = 'has an id of 1 to 32 of A-Z a-z 0-9 . _ + -';

function aggregateOf(serializer: CacheSerializer): AggregateError {
  try {
    assertSerializerConformance(serializer);
  } catch (error) {
    expect(error).toBeInstanceOf(AggregateError);
    return error as AggregateError;
  }
  throw new Error(`expected ${serializer.id} to fail conformance`);
}

describe('SERIALIZER_CONFORMANCE_CASES', () => {
  it('is not empty and has unique names', () => {
    expect(SERIALIZER_CONFORMANCE_CASES.length).toBeGreaterThan(5);
    expect(new Set(SERIALIZER_CONFORMANCE_CASES.map((c) => c.name)).size).toBe(SERIALIZER_CONFORMANCE_CASES.length);
  });

  const matrix = SERIALIZERS.flatMap(([serializerName, create]) =>
    SERIALIZER_CONFORMANCE_CASES.map((check) => [serializerName, check.name, create, check] as const),
  );
  it.each(matrix)('%s: %s', (_, __, create, check) => {
    expect(() => check.run(create())).not.toThrow();
  });
});

describe('assertSerializerConformance', () => {
  it.each(SERIALIZERS)('passes for %s', (_, create) => {
    expect(() => assertSerializerConformance(create())).not.toThrow();
  });

  it('throws an AggregateError listing the failed checks of a serializer that truncates strings', () => {
    const error = aggregateOf(new TruncatingSerializer());
    const failed = error.errors.map((e: Error) => e.message);
    expect(failed.some((m: string) => m.startsWith('round-trips a 1 MB string'))).toBe(true);
    expect(failed.some((m: string) => m.startsWith('round-trips a string with unicode and control characters'))).toBe(
      true,
    );
    expect(failed.some((m: string) => m.startsWith('round-trips a plain object'))).toBe(false);
    expect(error.message).toContain('truncating');
    expect(error.message).toContain(`${error.errors.length} conformance check`);
  });

  it('catches a serializer that shares decoded objects between reads', () => {
    const error = aggregateOf(new SharingSerializer());
    expect(error.errors.map((e: Error) => e.message).join('\n')).toContain('returns a fresh object on every decode');
  });

  it('passes for a text serializer without deserializeText (the CacheSerializer example)', () => {
    expect(() => assertSerializerConformance(new BytesOnlyJson('upper-json'))).not.toThrow();
  });

  it.each([
    ['spaces', 'json with spaces'],
    ['a colon, the header field separator', 'json:v2'],
    ['a newline, the header terminator', 'json\nv2'],
    ['the record separator of the magic', '\x1eRT'],
    ['a non-ASCII letter', 'jsön'],
    ['a slash', 'json/v2'],
    ['33 characters', 'x'.repeat(33)],
    ['no characters', ''],
  ])('catches an id with %s, which the entry header cannot store, and only that', (_, id) => {
    const error = aggregateOf(new RenamedJson(id));
    expect(error.errors.map((e: Error) => e.message)).toEqual([expect.stringContaining(ID_CHECK)]);
    expect(error.errors[0].message).toContain(JSON.stringify(id));
  });

  it.each([['a'], ['x'.repeat(32)], ['json-v2.1+gzip'], ['My_Serializer'], ['0.9']])('accepts the id %p', (id) => {
    expect(() => assertSerializerConformance(new RenamedJson(id))).not.toThrow();
  });
});

/**
 * node:v8 builds decoded objects in Node's main realm while jest runs tests in a vm sandbox,
 * so deepStrictEqual (which compares prototypes) can fail for V8Serializer inside jest only.
 * This runs the same kit for V8Serializer in a plain node process (one realm), from lib/
 * transpiled on the fly, to tell a serializer defect from a realm artefact.
 */
describe('V8Serializer conformance in a single realm (child node process)', () => {
  let results: Record<string, string>;
  let lib: TranspiledLib | undefined;

  beforeAll(() => {
    lib = TranspiledLib.create();
    results = lib.runJson<Record<string, string>>(`
      import { SERIALIZER_CONFORMANCE_CASES } from './testing/serializer-conformance.suite.js';
      import { V8Serializer } from './serializers/v8.serializer.js';
      const results = {};
      for (const check of SERIALIZER_CONFORMANCE_CASES) {
        try { check.run(new V8Serializer()); results[check.name] = 'ok'; }
        catch (error) { results[check.name] = String(error && error.message); }
      }
      process.stdout.write(JSON.stringify(results));
    `);
  }, 60_000);

  afterAll(() => lib?.dispose());

  it('ran every case', () => {
    expect(Object.keys(results).sort()).toEqual(SERIALIZER_CONFORMANCE_CASES.map((c) => c.name).sort());
  });

  it.each(SERIALIZER_CONFORMANCE_CASES.map((c) => [c.name]))('%s', (name) => {
    expect(results[name]).toBe('ok');
  });
});

import type { SerializerName } from '../interfaces/redis-cache-module-options.interface.js';
import { CacheSerializer } from '../serializers/cache.serializer.js';
import { JsonSerializer } from '../serializers/json.serializer.js';
import { MsgpackSerializer } from '../serializers/msgpack.serializer.js';
import { V8Serializer } from '../serializers/v8.serializer.js';
import { describe, fail } from './option-checks.util.js';

const SERIALIZER_ID_PATTERN = /^[\w.+-]{1,32}$/;

/** Resolves a serializer instance or name; `undefined` gives the JSON default. */
export function resolveSerializer(field: string, value: CacheSerializer | SerializerName | undefined): CacheSerializer {
  if (value === undefined || value === 'json') return new JsonSerializer();
  if (value === 'v8') return new V8Serializer();
  if (value === 'msgpack') return new MsgpackSerializer();
  const candidate = value as Partial<CacheSerializer>;
  if (
    typeof value !== 'object' ||
    value === null ||
    typeof candidate.serialize !== 'function' ||
    typeof candidate.deserialize !== 'function'
  ) {
    fail(
      field,
      `expected a CacheSerializer or 'json' | 'v8' | 'msgpack', got ${describe(value)}`,
      'pass an instance of a class that extends CacheSerializer',
    );
  }
  if (typeof candidate.id !== 'string' || !SERIALIZER_ID_PATTERN.test(candidate.id)) {
    fail(
      `${field}.id`,
      `${describe(candidate.id)} is not a valid serializer id`,
      'use 1 to 32 of A-Z a-z 0-9 . _ + - (it is written into every entry header)',
    );
  }
  return value;
}

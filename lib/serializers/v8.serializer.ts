import { deserialize, serialize } from 'node:v8';
import { CacheSerializer } from './cache.serializer.js';
import { classInstanceRefusal, findClassInstance } from './class-instance.check.js';

/**
 * Node's structured-clone format (`node:v8`): round-trips `Date`, `Map`, `Set`, `BigInt`,
 * typed arrays, `undefined` members and cycles. A value holding a class instance throws (it would
 * come back as a plain object), so it is returned to the caller but not stored.
 *
 * Security: only for deployments whose Redis is writable by trusted clients alone. The format
 * revives no code, but its decoder is complex native code fed with whatever bytes Redis holds.
 *
 * @example @ReadThrough('report:{0}', '1h', { serializer: new V8Serializer() })
 */
export class V8Serializer extends CacheSerializer {
  readonly id = 'v8';

  serialize(value: unknown): Buffer {
    const name = findClassInstance(value);
    if (name !== undefined) throw classInstanceRefusal(name);
    return serialize(value);
  }

  deserialize(raw: Buffer): unknown {
    return deserialize(raw);
  }
}

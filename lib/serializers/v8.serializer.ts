import { deserialize, serialize } from 'node:v8';
import { CacheSerializer } from './cache.serializer.js';

/**
 * Node's structured-clone format (`node:v8`): round-trips `Date`, `Map`, `Set`, `BigInt`,
 * typed arrays, `undefined` members and cycles. Class instances come back as plain objects.
 *
 * Security: only for deployments whose Redis is writable by trusted clients alone. The format
 * revives no code, but its decoder is complex native code fed with whatever bytes Redis holds.
 *
 * @example @ReadThrough('report:{0}', '1h', { serializer: new V8Serializer() })
 */
export class V8Serializer extends CacheSerializer {
  readonly id = 'v8';

  serialize(value: unknown): Buffer {
    return serialize(value);
  }

  deserialize(raw: Buffer): unknown {
    return deserialize(raw);
  }
}

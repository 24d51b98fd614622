import { SerializerUnavailableError } from '../errors/serializer-unavailable.error.js';
import { CacheSerializer } from './cache.serializer.js';
import { classInstanceRefusal, findClassInstance } from './class-instance.check.js';
import { loadOptionalPeer } from './optional-peer.loader.cjs';

interface MsgpackrPackr {
  pack(value: unknown): Buffer;
  unpack(raw: Buffer): unknown;
}
interface MsgpackrModule {
  Packr: new (options: Record<string, unknown>) => MsgpackrPackr;
}

/**
 * MessagePack through the optional peer `msgpackr`: compact and fast, round-trips `Date`, `Set`,
 * `BigInt` and binary data (a `Map` comes back as a plain object; a value holding a class instance
 * throws, so it is returned but not stored). Throws {@link SerializerUnavailableError} at construction when
 * `msgpackr` is not installed (`npm install msgpackr`).
 *
 * Security: only for deployments whose Redis is writable by trusted clients alone (msgpack
 * extension types decode into rich objects).
 *
 * @example RedisCacheModule.forRoot({ serializer: new MsgpackSerializer() })
 */
export class MsgpackSerializer extends CacheSerializer {
  readonly id = 'msgpack';
  private readonly packr: MsgpackrPackr;

  constructor() {
    super();
    let msgpackr: MsgpackrModule;
    try {
      msgpackr = loadOptionalPeer('msgpackr') as MsgpackrModule;
    } catch (cause) {
      throw new SerializerUnavailableError('MsgpackSerializer', 'msgpackr', { cause });
    }
    // useRecords: false keeps entries self-describing (no shared structure table between
    // processes); moreTypes adds Set/Error/RegExp round-trips.
    this.packr = new msgpackr.Packr({ moreTypes: true, useRecords: false });
  }

  serialize(value: unknown): Buffer {
    const name = findClassInstance(value);
    if (name !== undefined) throw classInstanceRefusal(name);
    return this.packr.pack(value);
  }

  deserialize(raw: Buffer): unknown {
    return this.packr.unpack(raw);
  }
}

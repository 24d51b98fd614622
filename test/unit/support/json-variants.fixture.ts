import { CacheSerializer, JsonSerializer } from '../../../lib/serializers/index.js';

/** The JSON serializer under any id, valid or not (the codec and the kit must judge the id). */
export class RenamedJson extends CacheSerializer {
  private readonly json = new JsonSerializer();

  constructor(readonly id: string) {
    super();
  }

  serialize(value: unknown): string {
    return this.json.serialize(value);
  }

  deserialize(raw: Buffer): unknown {
    return this.json.deserialize(raw);
  }

  override deserializeText(text: string): unknown {
    return this.json.deserializeText(text);
  }
}

/**
 * Writes JSON text but decodes bytes only (no `deserializeText`), like the `CacheSerializer`
 * docs example: entries of such a serializer are read as bytes.
 */
export class BytesOnlyJson extends CacheSerializer {
  constructor(readonly id = 'bytes-json') {
    super();
  }

  serialize(value: unknown): string {
    return JSON.stringify(value);
  }

  deserialize(raw: Buffer): unknown {
    return JSON.parse(raw.toString('utf8')) as unknown;
  }
}

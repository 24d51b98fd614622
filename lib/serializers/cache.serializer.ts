/**
 * Turns cached values into bytes and back. Pass an instance as the `serializer` option,
 * module-wide or per `@ReadThrough`. It is also the DI token under which the module exposes the
 * serializer in use (`constructor(private readonly serializer: CacheSerializer)`).
 *
 * `id` is written into every stored entry; an entry written under another id is a miss, so
 * changing serializers never hands a caller a wrongly decoded value.
 *
 * @example
 * class UpperJson extends CacheSerializer {
 *   readonly id = 'upper-json';
 *   serialize(value: unknown) { return JSON.stringify(value); }
 *   deserialize(raw: Buffer) { return JSON.parse(raw.toString('utf8')); }
 * }
 */
export abstract class CacheSerializer {
  /** Short id stored in the entry header, e.g. `'json'`: 1–32 of `A-Z a-z 0-9 . _ + -`. */
  abstract readonly id: string;

  /** Encodes a value. Throwing means "do not cache this value"; the caller still gets it. */
  abstract serialize(value: unknown): Buffer | string;

  /** Decodes bytes produced by `serialize`. Throwing makes the read a miss. */
  abstract deserialize(raw: Buffer): unknown;

  /**
   * Optional: decodes the payload read as a UTF-8 string. Text formats (JSON) implement it, so
   * entries are fetched from Redis as strings: one UTF-8 decode and no Buffer copy per hit.
   * Implement it only when `serialize` returns strings.
   */
  deserializeText?(text: string): unknown;
}

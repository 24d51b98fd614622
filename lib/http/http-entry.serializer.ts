import { CacheSerializer } from '../serializers/cache.serializer.js';
import type { HttpCacheEntry } from './http-cache.entry.js';

/**
 * How route entries are written: one line of JSON with the status, headers and body encoding,
 * then the body as it was sent. JSON escapes every control character, so the first newline ends
 * the head; the body is never escaped into a JSON string, which saves escaping it on a miss and
 * unescaping it on every hit. A route's `serializer` option does not apply: what is stored is a
 * response, always in this form. What comes back is checked field by field (`parseHttpEntry`).
 */
export class HttpEntrySerializer extends CacheSerializer {
  readonly id = 'http';

  serialize(value: unknown): string {
    const { status, headers, encoding, body } = value as HttpCacheEntry;
    if (typeof body !== 'string') throw new TypeError('an HTTP entry body must be text');
    return `${JSON.stringify({ status, headers, encoding })}\n${body}`;
  }

  deserialize(raw: Buffer): unknown {
    return this.deserializeText(raw.toString('utf8'));
  }

  override deserializeText(text: string): unknown {
    const end = text.indexOf('\n');
    if (end === -1) throw new TypeError('an HTTP entry has a head line and a body');
    const head = JSON.parse(text.slice(0, end)) as unknown;
    if (
      typeof head !== 'object' ||
      head === null ||
      Array.isArray(head) ||
      Object.prototype.hasOwnProperty.call(head, 'body')
    ) {
      throw new TypeError('the head of an HTTP entry is an object without a body');
    }
    const { status, headers, encoding } = head as Record<string, unknown>;
    return { status, headers, encoding, body: text.slice(end + 1) };
  }
}

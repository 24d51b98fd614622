import { headerText } from './http-request.access.js';
import type { SentResponse } from './response.capture.js';

/** What a route allows to be stored, for {@link whyNotStored}. */
export interface StorageRules {
  readonly statuses: ReadonlySet<number>;
  /** Request headers the key reads: a `Vary` on them is honoured by the key itself. */
  readonly keyedHeaders: readonly string[];
  /** `Vary` that was on the response before the route ran (CORS middleware's `Vary: Origin`). */
  readonly varyBefore: string;
}

/**
 * Why a sent response must not be stored, or `undefined` when it may be. Decided from the
 * response as it went out, so headers added late (a `Set-Cookie` at `writeHead`, Fastify
 * `onSend` hooks, `Vary` from the handler) count:
 *
 * - a status the route does not store; a body written in several chunks (a stream) or too large;
 * - `Set-Cookie`: a response that sets state belongs to one client;
 * - `Cache-Control: no-store | no-cache | private` (no-cache means "revalidate before reuse",
 *   which a read-through cache cannot do);
 * - `Vary: *`, or a `Vary` on a request header the key does not read: the body depends on
 *   something two requests under this key may not share.
 */
export function whyNotStored(sent: SentResponse | undefined, rules: StorageRules): string | undefined {
  if (!sent) return 'the connection closed before the response ended';
  if (!rules.statuses.has(sent.status)) return `status ${sent.status} is not stored`;
  if (sent.partial) return 'the body was streamed or is larger than maxValueBytes';
  if (sent.headers.has('set-cookie')) return 'the response sets a cookie';
  if (/\b(no-store|no-cache|private)\b/i.test(headerText(sent.headers.get('cache-control'))))
    return 'Cache-Control forbids storing it';
  // Middleware (compression) may encode after the last write this library sees: the recorded
  // bytes and the Content-Encoding could disagree.
  const encoding = headerText(sent.headers.get('content-encoding')).trim().toLowerCase();
  if (encoding !== '' && encoding !== 'identity') return `Content-Encoding: ${encoding}`;
  const vary = tokens(headerText(sent.headers.get('vary')));
  if (vary.includes('*')) return 'Vary: *';
  // CORS middleware's Vary: Origin (set before the route ran) changes only CORS headers, which
  // are this request's own on every hit; any other Vary means the body may differ.
  const corsOrigin = tokens(rules.varyBefore).includes('origin');
  const varied = vary.filter((name) => !(name === 'origin' && corsOrigin) && !rules.keyedHeaders.includes(name));
  if (varied.length > 0) return `it varies on ${varied.join(', ')}, which the key does not read`;
  return undefined;
}

function tokens(vary: string): string[] {
  return vary
    .split(',')
    .map((token) => token.trim().toLowerCase())
    .filter((token) => token !== '');
}

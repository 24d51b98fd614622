import { REPRESENTATION_HEADERS, type ValidHttpEntry } from './http-cache.entry.js';

/** One header as `setHeader` takes it: a value, or every value of a header sent more than once. */
type HeaderField = readonly [name: string, value: string | readonly string[]];

/**
 * How a hit sends one stored entry, worked out once per entry: an entry held in the L1 serves
 * every hit with the same plan, so a hit only sets headers and writes.
 */
export interface ReplayPlan {
  readonly status: number;
  /** The stored representation headers (`Content-Type`, `ETag`, `Vary`, ...): sent over whatever this request set. */
  readonly representation: readonly HeaderField[];
  /** The other stored headers (the handler's, inner interceptors'): sent where this request's pipeline set none. */
  readonly others: readonly HeaderField[];
  /**
   * Representation and transfer headers the store lacks: this request's pipeline set them for its
   * own empty stand-in body, so they are removed. `ETag` and `Vary` stay (the cache's own, set
   * for this hit), and so does `Content-Length` when there is a body (set from it).
   */
  readonly dropped: ReadonlySet<string>;
  /** The body to send; `undefined` for a 304. */
  readonly body: string | Buffer | undefined;
  readonly contentLength: string | undefined;
}

const plans = new WeakMap<ValidHttpEntry, ReplayPlan>();
const notModifiedPlans = new WeakMap<ValidHttpEntry, ReplayPlan>();

/** The plan that sends `entry` (or, `notModified`, its 304 without a body), made on first use. */
export function replayPlanOf(entry: ValidHttpEntry, notModified: boolean): ReplayPlan {
  const memo = notModified ? notModifiedPlans : plans;
  let plan = memo.get(entry);
  if (plan === undefined) {
    plan = notModified
      ? planOf(
          304,
          entry.headers.filter(([name]) => name !== 'content-type'),
          undefined,
        )
      : planOf(entry.status, entry.headers, entry.bytes);
    memo.set(entry, plan);
  }
  return plan;
}

function planOf(
  status: number,
  headers: readonly (readonly [string, string])[],
  body: string | Buffer | undefined,
): ReplayPlan {
  const grouped = new Map<string, string | string[]>();
  for (const [name, value] of headers) {
    const present = grouped.get(name);
    grouped.set(name, present === undefined ? value : ([] as string[]).concat(present, value));
  }
  const representation: HeaderField[] = [];
  const others: HeaderField[] = [];
  for (const field of grouped) (REPRESENTATION_HEADERS.has(field[0]) ? representation : others).push(field);
  const dropped = new Set(
    [...REPRESENTATION_HEADERS, 'content-length', 'transfer-encoding'].filter(
      (name) =>
        !grouped.has(name) && name !== 'etag' && name !== 'vary' && !(name === 'content-length' && body !== undefined),
    ),
  );
  const contentLength =
    body === undefined ? undefined : String(typeof body === 'string' ? Buffer.byteLength(body) : body.length);
  return Object.freeze({ status, representation, others, dropped, body, contentLength });
}

/** Counters of the L1, part of `stats()`. */
export interface L1Stats {
  /** Hits answered from this process, without a Redis command. */
  l1Hits: number;
  /** Entries dropped to keep the L1 within its bounds. */
  l1Evictions: number;
  /** Entries dropped because Redis said their key changed (or this process wrote it). */
  l1Invalidations: number;
  /** Times the whole L1 was dropped: a disconnect, a reconnect, a FLUSHDB. */
  l1Flushes: number;
}

/**
 * Marks a decoded value that the L1 may hold decoded and hand as it is to every hit, whatever
 * `shareValues` says: a frozen value no caller is ever handed to change (a route's validated
 * response entry). Every other value is decoded afresh per hit unless `shareValues`.
 */
export const L1_SHAREABLE: unique symbol = Symbol('nestjs-readthrough.l1-shareable');

/**
 * What decoded and validated an entry: the codec and the caller's shape check (a route's entry
 * parser, `undefined` for methods). Two readers may share one stored key (a key function or a
 * `wrap()` key can name a route's entry); a decoded entry is handed only to the reader that
 * decoded it, and any other decodes and checks the held bytes itself, as it would from Redis.
 */
export interface L1Reader {
  readonly codec: object;
  readonly accept: ((value: unknown) => unknown) | undefined;
}

/** Where the L1 reports what it drops (the events hub). */
export interface L1Events {
  l1(type: 'l1-eviction' | 'l1-invalidation' | 'l1-flush'): void;
}

/** Whether a decoded value carries {@link L1_SHAREABLE}. */
export function isShareable(value: unknown): boolean {
  return typeof value === 'object' && value !== null && (value as { [L1_SHAREABLE]?: unknown })[L1_SHAREABLE] === true;
}

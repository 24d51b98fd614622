import { CacheClock } from '../clock/cache.clock.js';
import { toMilliseconds, type Duration } from '../utils/duration.util.js';

/**
 * A {@link CacheClock} that only moves when told to, for tests: {@link advance} past an entry's
 * TTL and it is stale (within `staleWhileRevalidate`) or gone, without sleeping. It drives the
 * memory store's expiry (entries, tags, locks), entry timestamps, stale and early-refresh
 * decisions, and the `Age` / `max-age` headers. Timeouts, lock waits and breaker cooldowns keep
 * real time, so a frozen clock never hangs a call.
 *
 * `RedisCacheTestingModule` gives each application its own; get it with `moduleRef.get(TestClock)`.
 *
 * @example
 * const clock = moduleRef.get(TestClock);
 * await books.find('a');    // miss, stored for 1 minute
 * clock.advance('61s');     // past the TTL: the entry is gone (or stale, with a grace)
 * await books.find('a');    // miss again
 */
export class TestClock extends CacheClock {
  private current: number;

  /** @param startMs the epoch milliseconds it starts at; default: the real time now. */
  constructor(startMs: number = Date.now()) {
    super();
    this.current = checkedTime(startMs);
  }

  /** The test time, in epoch milliseconds. */
  now(): number {
    return this.current;
  }

  /** Moves the clock forward by `by` (ms, or `'30s'`, `'5m'`...) at once, nothing waits; returns the new time. */
  advance(by: Duration): number {
    const ms = toMilliseconds(by);
    if (ms === undefined) throw new RangeError(`TestClock.advance() takes a non-negative Duration, got ${String(by)}`);
    this.current += ms;
    return this.current;
  }

  /**
   * Sets the time to `epochMs`. Going back is allowed (entries then live longer than their TTL,
   * as with a clock step on a real machine); prefer {@link advance}.
   */
  set(epochMs: number | Date): number {
    this.current = checkedTime(epochMs instanceof Date ? epochMs.getTime() : epochMs);
    return this.current;
  }
}

function checkedTime(ms: number): number {
  // lru-cache (the memory store) reads a start time of 0 as "no TTL": entries stored then would never expire.
  if (!Number.isFinite(ms) || ms <= 0) {
    throw new RangeError(`TestClock needs a positive, finite time in epoch milliseconds, got ${ms}`);
  }
  return ms;
}

/**
 * Where the cache reads the time of day: entry creation and freshness, stale-while-revalidate
 * and early-refresh decisions, `Age` and `max-age`, and the memory store's expiry (entries, tags,
 * locks). One clock per application, so a test can move it (`TestClock` in
 * `nestjs-readthrough/testing`) instead of sleeping. Durations the library waits for (timeouts,
 * lock polls, breaker cooldowns) stay on the real clock: a frozen test clock must never hang them.
 *
 * @example
 * RedisCacheModule.forRoot({ store: 'memory', clock: { now: () => fixedEpochMs } })
 */
export abstract class CacheClock {
  /** Milliseconds since the epoch, like `Date.now()`. */
  abstract now(): number;
}

/** The real time, `Date.now()`. */
class SystemClock extends CacheClock {
  now(): number {
    return Date.now();
  }
}

/** The default clock of every application: `Date.now()`. */
export const SYSTEM_CLOCK: CacheClock = new SystemClock();

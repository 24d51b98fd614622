import type { ResolvedLockOptions } from '../options/resolved-redis-cache-options.interface.js';
import type { CacheStore } from '../store/cache.store.js';
import type { ThrottledLogger } from '../utils/throttled-logger.util.js';
import { LockLease } from './stampede-lock.lease.js';
import { LockReleaseSignals } from './stampede-lock.signals.js';

/** One miss to run under the lock; see {@link StampedeLock.run}. */
export interface LockedLoad<T> {
  /** Who is cached, for log lines. */
  readonly label: string;
  /** Runs the method and stores its result. */
  readonly work: () => Promise<T>;
  /** The fresh value another process stored, or `undefined` when there is none yet. Never rejects. */
  readonly reuse: () => Promise<T | undefined>;
  /** A lock command failed; the lock then degrades (waits less, or runs `work`), never fails the call. */
  readonly storeError: (operation: 'read' | 'write', error: unknown) => void;
  /** This call found the lock held elsewhere and waits (called once per call). */
  readonly waiting: () => void;
}

/** Base pause between polls while release announcements do not arrive; each adds up to as much again. */
export const FAST_POLL_MS = 20;
/** Longest pause between polls while announcements arrive (they wake waiters; polls are the safety net). */
export const SLOW_POLL_MAX_MS = 1_000;

/**
 * How long a waiter sleeps before it looks again when no announcement wakes it. With
 * announcements arriving, a quarter of the ttl (at most {@link SLOW_POLL_MAX_MS}): polls then only
 * cover lost messages and notice a holder that died, whose lock expires within one ttl. Without,
 * 20–40 ms as a plain polling lock.
 */
export function lockPollMs(ttlMs: number, live: boolean): number {
  const base = live ? Math.min(SLOW_POLL_MAX_MS, Math.max(FAST_POLL_MS, ttlMs / 4)) : FAST_POLL_MS;
  return base + Math.random() * (live ? base / 4 : base);
}

/**
 * Cross-process single-flight for misses: the process that takes the lock runs the method (its
 * lease renewed while the method runs), stores, releases and announces the release; the others
 * wait, woken by the announcement or by a poll, and return the stored value. On every wake-up a
 * waiter looks for the value, then retries the lock, so a holder that died is replaced once its
 * lock expires; after `wait` it runs the method itself. A failing store never blocks the method.
 */
export class StampedeLock {
  private readonly signals: LockReleaseSignals;

  /**
   * @param channel where releases are announced, one per prefix, e.g. `shop:__lock__`.
   * @param warnings receives the throttled warnings (wait exhausted, lease lost).
   */
  constructor(
    private readonly store: CacheStore,
    channel: string,
    private readonly warnings: ThrottledLogger,
  ) {
    this.signals = new LockReleaseSignals(store, channel);
  }

  /** Lock keys waited for in this process right now (for tests and stats). */
  get waitingKeys(): number {
    return this.signals.size;
  }

  /** Runs `load` under the lock `lockKey`, or returns the value its holder stores; see the class. */
  async run<T>(lockKey: string, lock: ResolvedLockOptions, load: LockedLoad<T>): Promise<T> {
    const waitUntil = Date.now() + lock.waitMs;
    const events = {
      storeError: load.storeError,
      lost: () =>
        this.warnings.warn(
          `lock-lost:${load.label}`,
          `${load.label}: the lock expired before the method finished (renewal refused); another process may run it too`,
        ),
    };
    for (let round = 0; ; round++) {
      // Armed before the value is looked for and the lock tried: a release announced meanwhile wakes us.
      const signal = this.signals.arm(lockKey);
      try {
        // After a wake-up the value has most likely landed: look first, and leave the lock alone.
        const landed = round > 0 ? await load.reuse() : undefined;
        if (landed !== undefined) return landed;
        const lease = await LockLease.acquire(this.store, lockKey, lock.ttlMs, events);
        if (lease === 'unavailable') {
          signal.disarm();
          return await load.work();
        }
        if (lease !== 'busy') {
          signal.disarm();
          return await this.hold(lease, load, round > 0);
        }
        if (round === 0) {
          load.waiting();
          // The caller's own read came before the signal was armed: look once more.
          const reused = await load.reuse();
          if (reused !== undefined) return reused;
        }
        const remaining = waitUntil - Date.now();
        if (remaining <= 0) break;
        await wakeAfter(signal.released, Math.min(remaining, lockPollMs(lock.ttlMs, this.signals.live)));
      } finally {
        signal.disarm();
      }
    }
    this.warnings.warn(
      `lock-wait:${load.label}`,
      `${load.label}: waited ${lock.waitMs} ms for the lock holder's value; running the method here`,
    );
    return load.work();
  }

  private async hold<T>(lease: LockLease, load: LockedLoad<T>, waited: boolean): Promise<T> {
    try {
      if (waited) {
        // The previous holder may have stored and released between our last look and our lock.
        const landed = await load.reuse();
        if (landed !== undefined) return landed;
      }
      return await load.work();
    } finally {
      await lease.release();
      this.signals.announce(lease.key, (error) => load.storeError('write', error));
    }
  }
}

/** Resolves at `released` or after `ms`, whichever is first, leaving no timer behind. */
function wakeAfter(released: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const elapsed = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  return Promise.race([released, elapsed]).finally(() => clearTimeout(timer));
}

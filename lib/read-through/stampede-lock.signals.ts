import type { CacheStore, LockReleaseWatch } from '../store/cache.store.js';

/** A registration for the next release of one lock; see {@link LockReleaseSignals.arm}. */
export interface ArmedSignal {
  /** Resolves at the next announced release of the lock. Never rejects. */
  readonly released: Promise<void>;
  /** Drops the registration (the waiter is done), so nothing stays behind per key. */
  disarm(): void;
}

interface Pending {
  readonly released: Promise<void>;
  readonly wake: () => void;
  refs: number;
}

/**
 * Wakes local waiters when a lock holder in any process announces its release: one
 * subscription per store and channel, made on the first wait, and one pending promise per
 * waited-for lock key in this process. Waiters arm before they look for the value, so a release
 * announced while they look is not missed; announcements lost on the way (a subscriber that is
 * down) are covered by the waiters' own polling, which is why {@link live} is exposed.
 */
export class LockReleaseSignals {
  private watch: LockReleaseWatch | undefined;
  private readonly pending = new Map<string, Pending>();

  constructor(
    private readonly store: CacheStore,
    private readonly channel: string,
  ) {}

  /** Whether announcements arrive right now. `false` before the first {@link arm}. */
  get live(): boolean {
    return this.watch?.live ?? false;
  }

  /** Number of lock keys with a waiter in this process. */
  get size(): number {
    return this.pending.size;
  }

  /** Registers for the next release of `lockKey` (subscribing on first use). */
  arm(lockKey: string): ArmedSignal {
    this.watch ??= this.store.watchLockReleases(this.channel, (key) => this.onRelease(key));
    let entry = this.pending.get(lockKey);
    if (!entry) {
      let wake!: () => void;
      const released = new Promise<void>((resolve) => (wake = resolve));
      entry = { released, wake, refs: 0 };
      this.pending.set(lockKey, entry);
    }
    entry.refs++;
    const armed = entry;
    let disarmed = false;
    return {
      released: armed.released,
      disarm: () => {
        if (disarmed) return;
        disarmed = true;
        // A woken entry was already replaced or removed: only drop the one still registered.
        if (--armed.refs === 0 && this.pending.get(lockKey) === armed) this.pending.delete(lockKey);
      },
    };
  }

  /** Announces that this process released `lockKey`. Best effort; `onError` hears failures. */
  announce(lockKey: string, onError: (error: unknown) => void): void {
    this.store.announceLockRelease(this.channel, lockKey).catch(onError);
  }

  private onRelease(lockKey: string): void {
    const entry = this.pending.get(lockKey);
    if (!entry) return;
    this.pending.delete(lockKey);
    entry.wake();
  }
}

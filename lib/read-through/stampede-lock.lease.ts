import { randomUUID } from 'node:crypto';
import type { CacheStore } from '../store/cache.store.js';

/** What a lease reports to its owner; the owner decides how to count and log. */
export interface LockLeaseEvents {
  /** A lock command failed (acquire, renew or release). */
  storeError(operation: 'read' | 'write', error: unknown): void;
  /** A renewal was refused: the lock expired or changed hands before the work ended. */
  lost(): void;
}

/**
 * One held stampede lock (`SET NX PX` with an owner token), renewed every third of its ttl while
 * the work runs, so a method slower than the ttl keeps it. Renewal is a compare-and-expire: a
 * holder whose lock already passed to another process never extends that one.
 *
 * Renewal timers are unref'd and die with the process, so a killed holder frees the key within
 * one ttl. The lease never renews after {@link release}, nor after one refused renewal.
 */
export class LockLease {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  private constructor(
    private readonly store: CacheStore,
    readonly key: string,
    private readonly token: string,
    private readonly ttlMs: number,
    private readonly events: LockLeaseEvents,
  ) {}

  /**
   * Takes the lock `key` for `ttlMs` and starts renewing it. Resolves the lease, `'busy'` when
   * another owner holds it, or `'unavailable'` when the store failed (nothing to coordinate
   * through: the caller should run its work anyway).
   */
  static async acquire(
    store: CacheStore,
    key: string,
    ttlMs: number,
    events: LockLeaseEvents,
  ): Promise<LockLease | 'busy' | 'unavailable'> {
    const token = randomUUID();
    try {
      if (!(await store.acquireLock(key, token, ttlMs))) return 'busy';
    } catch (error) {
      events.storeError('read', error);
      return 'unavailable';
    }
    const lease = new LockLease(store, key, token, ttlMs, events);
    lease.schedule();
    return lease;
  }

  /** Milliseconds between renewals: a third of the ttl leaves two more tries before it expires. */
  get renewEveryMs(): number {
    return Math.max(1, Math.floor(this.ttlMs / 3));
  }

  /** Stops renewing and deletes the lock if it is still ours. Never rejects. */
  async release(): Promise<void> {
    this.stop();
    try {
      await this.store.releaseLock(this.key, this.token);
    } catch (error) {
      // It expires on its own within one ttl.
      this.events.storeError('write', error);
    }
  }

  private stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    if (this.stopped) return;
    // Chained, not an interval: a renewal stuck in a slow store never overlaps the next one.
    this.timer = setTimeout(() => void this.renew(), this.renewEveryMs);
    this.timer.unref();
  }

  private async renew(): Promise<void> {
    if (this.stopped) return;
    let renewed: boolean;
    try {
      renewed = await this.store.renewLock(this.key, this.token, this.ttlMs);
    } catch (error) {
      // The lock may still be ours for the rest of its ttl: try again on schedule.
      this.events.storeError('write', error);
      this.schedule();
      return;
    }
    if (renewed) {
      this.schedule();
    } else if (!this.stopped) {
      this.stop();
      this.events.lost();
    }
  }
}

/**
 * The stampede lock on the memory store, without Redis. Two `StampedeLock`s on one store stand
 * for two processes on one Redis: one holds the lock and runs the work, the other waits for the
 * value it stores.
 */
import { jest } from '@jest/globals';
import type { Logger } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { SLOW_POLL_MAX_MS, StampedeLock, type LockedLoad } from '../../../lib/read-through/stampede.lock.js';
import type { LockReleaseWatch } from '../../../lib/store/cache.store.js';
import { MemoryCacheStore } from '../../../lib/store/memory-cache.store.js';
import { ThrottledLogger } from '../../../lib/utils/throttled-logger.util.js';

const CHANNEL = 'test:__lock__';
const LOCK_KEY = 'test:__lock__:k';
const VALUE_KEY = 'test:k';
const bounds = { maxEntries: 100, maxBytes: 1 << 20 };

/** A store whose release announcements never arrive (a subscriber that is down or lost messages). */
class SilentStore extends MemoryCacheStore {
  constructor(private readonly watchLive: boolean) {
    super(bounds);
  }
  override async announceLockRelease(): Promise<void> {}
  override watchLockReleases(): LockReleaseWatch {
    return { live: this.watchLive };
  }
}

interface Process {
  lock: StampedeLock;
  warn: jest.Mock<(message: string) => void>;
  runs: number;
  reads: number;
  waits: number;
  storeErrors: unknown[];
}

function processOn(store: MemoryCacheStore): Process {
  const warn = jest.fn<(message: string) => void>();
  const lock = new StampedeLock(store, CHANNEL, new ThrottledLogger({ warn } as unknown as Logger));
  return { lock, warn, runs: 0, reads: 0, waits: 0, storeErrors: [] };
}

/** A load whose work takes `workMs`, then stores `value` and records when it landed. */
function load(store: MemoryCacheStore, proc: Process, value: string, workMs: number, landed: { at?: number } = {}): LockedLoad<string> {
  return {
    label: 'Test.load',
    work: async () => {
      proc.runs++;
      await sleep(workMs);
      await store.set(VALUE_KEY, value, 60_000);
      landed.at = Date.now();
      return value;
    },
    reuse: async () => {
      proc.reads++;
      return (await store.getText(VALUE_KEY)) ?? undefined;
    },
    storeError: (_operation, error) => proc.storeErrors.push(error),
    waiting: () => proc.waits++,
  };
}

/** Captures the owner token of every lock taken on `store`. */
function captureTokens(store: MemoryCacheStore): string[] {
  const tokens: string[] = [];
  const acquire = store.acquireLock.bind(store);
  jest.spyOn(store, 'acquireLock').mockImplementation(async (key, token, ttlMs) => {
    tokens.push(token);
    return acquire(key, token, ttlMs);
  });
  return tokens;
}

afterEach(() => jest.restoreAllMocks());

describe('StampedeLock: the holder', () => {
  it('renews its lease while the work runs past the ttl, and stops renewing when it ends', async () => {
    const store = new MemoryCacheStore(bounds);
    const holder = processOn(store);
    const renew = jest.spyOn(store, 'renewLock');
    const running = holder.lock.run(LOCK_KEY, { ttlMs: 150, waitMs: 5_000 }, load(store, holder, 'v', 600));
    await sleep(400);
    // 400 ms into a 150 ms lock: held only because it was renewed.
    expect(await store.acquireLock(LOCK_KEY, 'intruder', 150)).toBe(false);
    expect(await running).toBe('v');
    expect(renew.mock.calls.length).toBeGreaterThanOrEqual(3);
    // Released at the end: the next owner gets it at once.
    expect(await store.acquireLock(LOCK_KEY, 'next', 10_000)).toBe(true);
    const renewals = renew.mock.calls.length;
    await sleep(300);
    expect(renew.mock.calls.length).toBe(renewals);
  });

  it('stops renewing, warns, and leaves the successor alone when its lock changed hands', async () => {
    const store = new MemoryCacheStore(bounds);
    const tokens = captureTokens(store);
    const holder = processOn(store);
    const renew = jest.spyOn(store, 'renewLock');
    const running = holder.lock.run(LOCK_KEY, { ttlMs: 150, waitMs: 5_000 }, load(store, holder, 'v', 500));
    await sleep(20);
    expect(await store.releaseLock(LOCK_KEY, tokens[0]!)).toBe(true);
    expect(await store.acquireLock(LOCK_KEY, 'successor', 10_000)).toBe(true);
    await sleep(200);
    const renewals = renew.mock.calls.length;
    expect(renewals).toBe(1);
    expect(await running).toBe('v');
    expect(renew.mock.calls.length).toBe(renewals);
    expect(holder.warn.mock.calls.some(([message]) => message.includes('the lock expired before the method finished'))).toBe(true);
    // Its release was a compare-and-delete: the successor still holds the lock.
    expect(await store.acquireLock(LOCK_KEY, 'third', 10_000)).toBe(false);
  });

  it('runs the work at once when the store cannot take locks', async () => {
    const store = new MemoryCacheStore(bounds);
    const broken = new Error('store down');
    jest.spyOn(store, 'acquireLock').mockRejectedValue(broken);
    const holder = processOn(store);
    expect(await holder.lock.run(LOCK_KEY, { ttlMs: 1_000, waitMs: 5_000 }, load(store, holder, 'v', 10))).toBe('v');
    expect(holder.runs).toBe(1);
    expect(holder.storeErrors).toEqual([broken]);
  });
});

describe('StampedeLock: the waiter', () => {
  it('wakes on the release announcement, long before its next poll, and does not run the work', async () => {
    const store = new MemoryCacheStore(bounds);
    const holder = processOn(store);
    const waiter = processOn(store);
    const landed: { at?: number } = {};
    // ttl 10 s: with announcements live, the waiter polls only every 1–1.25 s.
    const lock = { ttlMs: 10_000, waitMs: 20_000 };
    const held = holder.lock.run(LOCK_KEY, lock, load(store, holder, 'from-holder', 300, landed));
    await sleep(20);
    const waited = waiter.lock.run(LOCK_KEY, lock, load(store, waiter, 'from-waiter', 10));
    const got = await waited;
    const returnedAt = Date.now();
    expect(got).toBe('from-holder');
    expect(await held).toBe('from-holder');
    expect(returnedAt - landed.at!).toBeLessThan(100);
    expect(waiter.runs).toBe(0);
    expect(waiter.waits).toBe(1);
    // One look on arrival, one after the wake-up: no polling in between.
    expect(waiter.reads).toBeLessThanOrEqual(2);
    expect(waiter.lock.waitingKeys).toBe(0);
  });

  it('without announcements, still finds the value by its slower fallback poll', async () => {
    const store = new SilentStore(true);
    const holder = processOn(store);
    const waiter = processOn(store);
    const landed: { at?: number } = {};
    const lock = { ttlMs: 10_000, waitMs: 20_000 };
    const held = holder.lock.run(LOCK_KEY, lock, load(store, holder, 'from-holder', 300, landed));
    await sleep(20);
    const startedAt = Date.now();
    expect(await waiter.lock.run(LOCK_KEY, lock, load(store, waiter, 'from-waiter', 10))).toBe('from-holder');
    const returnedAt = Date.now();
    await held;
    expect(waiter.runs).toBe(0);
    // Not woken: it found the value on its first poll, about a second after it started waiting.
    expect(returnedAt - startedAt).toBeGreaterThanOrEqual(SLOW_POLL_MAX_MS - 50);
    expect(returnedAt - startedAt).toBeLessThan(SLOW_POLL_MAX_MS * 1.25 + 500);
    expect(waiter.reads).toBe(2);
  });

  it('polls every 20–40 ms while the subscription is not live', async () => {
    const store = new SilentStore(false);
    const holder = processOn(store);
    const waiter = processOn(store);
    const landed: { at?: number } = {};
    const lock = { ttlMs: 10_000, waitMs: 20_000 };
    const held = holder.lock.run(LOCK_KEY, lock, load(store, holder, 'from-holder', 400, landed));
    await sleep(20);
    expect(await waiter.lock.run(LOCK_KEY, lock, load(store, waiter, 'from-waiter', 10))).toBe('from-holder');
    const returnedAt = Date.now();
    await held;
    expect(waiter.runs).toBe(0);
    expect(returnedAt - landed.at!).toBeLessThan(200);
    // About 380 ms of waiting at 20–40 ms a poll.
    expect(waiter.reads).toBeGreaterThanOrEqual(5);
  });

  it('takes over once a dead holder\'s lock expires (within its ttl) and runs the work itself', async () => {
    const store = new MemoryCacheStore(bounds);
    // A holder that took the lock and died: nobody renews or releases it.
    expect(await store.acquireLock(LOCK_KEY, 'dead-holder', 300)).toBe(true);
    const waiter = processOn(store);
    const startedAt = Date.now();
    const lock = { ttlMs: 300, waitMs: 10_000 };
    expect(await waiter.lock.run(LOCK_KEY, lock, load(store, waiter, 'from-waiter', 10))).toBe('from-waiter');
    const tookMs = Date.now() - startedAt;
    expect(waiter.runs).toBe(1);
    expect(tookMs).toBeGreaterThanOrEqual(250);
    // ttl, then at most one poll (a quarter of the ttl, plus jitter), with a generous margin.
    expect(tookMs).toBeLessThan(300 + 300 + 500);
  });

  it('runs the work itself after `wait` when the holder is still running', async () => {
    const store = new MemoryCacheStore(bounds);
    const holder = processOn(store);
    const waiter = processOn(store);
    const held = holder.lock.run(LOCK_KEY, { ttlMs: 150, waitMs: 5_000 }, load(store, holder, 'from-holder', 800));
    await sleep(20);
    const startedAt = Date.now();
    expect(await waiter.lock.run(LOCK_KEY, { ttlMs: 150, waitMs: 200 }, load(store, waiter, 'from-waiter', 10))).toBe('from-waiter');
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(190);
    expect(await held).toBe('from-holder');
    expect([holder.runs, waiter.runs]).toEqual([1, 1]);
    expect(waiter.warn.mock.calls.some(([message]) => message.includes('waited 200 ms'))).toBe(true);
  });

  it('after a release without a value, the next waiter takes the lock and runs the work', async () => {
    const store = new MemoryCacheStore(bounds);
    const holder = processOn(store);
    const waiter = processOn(store);
    const lock = { ttlMs: 10_000, waitMs: 20_000 };
    const failing: LockedLoad<string> = {
      ...load(store, holder, 'unused', 0),
      work: async () => {
        holder.runs++;
        await sleep(200);
        throw new Error('method failed');
      },
    };
    const held = holder.lock.run(LOCK_KEY, lock, failing);
    await sleep(20);
    const startedAt = Date.now();
    const waited = waiter.lock.run(LOCK_KEY, lock, load(store, waiter, 'from-waiter', 10));
    await expect(held).rejects.toThrow('method failed');
    expect(await waited).toBe('from-waiter');
    expect(waiter.runs).toBe(1);
    // Woken by the release announcement, not by its poll a second later.
    expect(Date.now() - startedAt).toBeLessThan(SLOW_POLL_MAX_MS - 200);
  });
});

/** The waiting side of the stampede lock on the memory store: wake-up, fallback polls, take-over, `wait`. */
import { setTimeout as sleep } from 'node:timers/promises';
import { SLOW_POLL_MAX_MS, type LockedLoad } from '../../../lib/read-through/stampede.lock.js';
import { MemoryCacheStore } from '../../../lib/store/memory-cache.store.js';
import { LOCK_KEY, SilentStore, bounds, load, processOn } from './stampede-lock.fixture.js';

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

  it("takes over once a dead holder's lock expires (within its ttl) and runs the work itself", async () => {
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
    expect(await waiter.lock.run(LOCK_KEY, { ttlMs: 150, waitMs: 200 }, load(store, waiter, 'from-waiter', 10))).toBe(
      'from-waiter',
    );
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

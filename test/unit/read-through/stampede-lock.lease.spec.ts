/** The holder side of the stampede lock on the memory store: lease renewal, loss, and release. */
import { jest } from '@jest/globals';
import { setTimeout as sleep } from 'node:timers/promises';
import { MemoryCacheStore } from '../../../lib/store/memory-cache.store.js';
import { LOCK_KEY, bounds, captureTokens, load, processOn } from './stampede-lock.fixture.js';

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
    expect(
      holder.warn.mock.calls.some(([message]) => message.includes('the lock expired before the method finished')),
    ).toBe(true);
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

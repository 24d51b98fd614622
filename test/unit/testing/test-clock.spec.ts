/**
 * TestClock, and the memory store's expiry following it: entries, tag keys and locks expire
 * when the clock is moved, not when real time passes (nothing here sleeps).
 */
import { MemoryCacheStore } from '../../../lib/store/memory-cache.store.js';
import { TestClock } from '../../../lib/testing/index.js';

const BOUNDS = { maxEntries: 100, maxBytes: 1024 * 1024 };

describe('TestClock', () => {
  it('starts at the given time (or now), stays there, and moves by advance() and set()', () => {
    const clock = new TestClock(1_000);
    expect(clock.now()).toBe(1_000);
    expect(clock.now()).toBe(1_000);
    expect(clock.advance(250)).toBe(1_250);
    expect(clock.advance('2s')).toBe(3_250);
    expect(clock.advance('1m')).toBe(63_250);
    expect(clock.set(new Date(5_000))).toBe(5_000);
    expect(clock.set(10)).toBe(10);
    expect(clock.advance(0)).toBe(10);
    const before = Date.now();
    const current = new TestClock().now();
    expect(current).toBeGreaterThanOrEqual(before);
    expect(current).toBeLessThanOrEqual(Date.now());
  });

  it('refuses negative or malformed durations and non-finite times', () => {
    const clock = new TestClock(1_000);
    expect(() => clock.advance(-1)).toThrow(RangeError);
    expect(() => clock.advance('2w' as never)).toThrow(RangeError);
    expect(() => clock.set(Number.NaN)).toThrow(RangeError);
    expect(() => new TestClock(Number.POSITIVE_INFINITY)).toThrow(RangeError);
    // 0 (and before): the memory store would read entries stored then as having no TTL.
    expect(() => new TestClock(0)).toThrow(RangeError);
    expect(() => clock.set(-5)).toThrow(RangeError);
    expect(clock.now()).toBe(1_000);
  });
});

describe('MemoryCacheStore on a TestClock', () => {
  // As in Redis, a key expires once the time is past its expiry (at ttl it still reads, with ttl() 0).
  it('keeps an entry until the clock passes its ttl, and reports ttl() on that clock', async () => {
    const clock = new TestClock(1_000_000);
    const store = new MemoryCacheStore(BOUNDS, clock);
    await store.set('k', 'v', 60_000);
    expect(await store.ttl('k')).toBe(60_000);
    clock.advance(59_999);
    expect(await store.ttl('k')).toBe(1);
    expect(await store.getText('k')).toBe('v');
    clock.advance(1);
    expect(await store.ttl('k')).toBe(0);
    clock.advance(1);
    expect(await store.has('k')).toBe(false);
    expect(await store.getText('k')).toBeNull();
  });

  it('expires tag keys on the clock', async () => {
    const clock = new TestClock(1_000);
    const store = new MemoryCacheStore(BOUNDS, clock);
    await store.prepareTags(['t'], ['v1'], 1_000);
    clock.advance(999);
    expect(await store.getTagVersions(['t'])).toEqual(['v1']);
    await store.extendTags(['t'], 1_000);
    clock.advance(1_000);
    expect(await store.getTagVersions(['t'])).toEqual(['v1']);
    clock.advance(1);
    expect(await store.getTagVersions(['t'])).toEqual([null]);
  });

  it('expires locks on the clock: held until then, anyone may take it after, the old owner cannot release it', async () => {
    const clock = new TestClock(1_000);
    const store = new MemoryCacheStore(BOUNDS, clock);
    expect(await store.acquireLock('l', 'owner', 5_000)).toBe(true);
    clock.advance(4_999);
    expect(await store.acquireLock('l', 'other', 5_000)).toBe(false);
    expect(await store.renewLock('l', 'owner', 5_000)).toBe(true);
    clock.advance(4_999);
    expect(await store.acquireLock('l', 'other', 5_000)).toBe(false);
    clock.advance(1);
    expect(await store.releaseLock('l', 'owner')).toBe(false);
    expect(await store.acquireLock('l', 'other', 5_000)).toBe(true);
  });

  it('does not expire anything while the clock stands still (real time passing is ignored)', async () => {
    const clock = new TestClock(1_000);
    const store = new MemoryCacheStore(BOUNDS, clock);
    await store.set('k', 'v', 5);
    await store.prepareTags(['t'], ['v'], 5);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(await store.getText('k')).toBe('v');
    expect(await store.getTagVersions(['t'])).toEqual(['v']);
  });
});

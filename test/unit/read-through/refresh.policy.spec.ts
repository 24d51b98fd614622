import { decideRefresh } from '../../../lib/read-through/refresh.policy.js';
import type { CacheEntry } from '../../../lib/serializers/cache-entry.codec.js';

const entry = (freshUntil: number, loadMs = 100): CacheEntry => ({ value: 1, createdAt: 0, freshUntil, loadMs });

describe('decideRefresh', () => {
  it('never refreshes without grace or early refresh', () => {
    expect(decideRefresh({ graceMs: 0, earlyRefreshBeta: 0 }, entry(1_000), 5_000)).toEqual({
      stale: false,
      refresh: false,
    });
  });

  it('serves stale and refreshes past the TTL within the grace', () => {
    expect(decideRefresh({ graceMs: 10_000, earlyRefreshBeta: 0 }, entry(1_000), 1_000)).toEqual({
      stale: true,
      refresh: true,
    });
    expect(decideRefresh({ graceMs: 10_000, earlyRefreshBeta: 0 }, entry(1_000), 999)).toEqual({
      stale: false,
      refresh: false,
    });
  });

  it('refreshes early (XFetch) more often for slow values and closer to the expiry', () => {
    const policy = { graceMs: 0, earlyRefreshBeta: 1 };
    // -loadMs * beta * ln(random): with random = e^-1 the head start is exactly loadMs.
    const r = Math.exp(-1);
    expect(decideRefresh(policy, entry(1_000, 100), 899, r).refresh).toBe(false);
    expect(decideRefresh(policy, entry(1_000, 100), 900, r).refresh).toBe(true);
    expect(decideRefresh(policy, entry(1_000, 500), 600, r).refresh).toBe(true);
    expect(decideRefresh(policy, entry(1_000, 100), 900, r).stale).toBe(false);
    expect(decideRefresh(policy, entry(1_000, 100), 10, 1).refresh).toBe(false);
  });
});

import type { CacheEntry } from '../serializers/cache-entry.codec.js';
import type { ReadThroughPolicy } from './read-through.policy.js';

/** What a hit calls for: served stale (past its TTL, within the grace), and whether to refresh it now. */
export interface RefreshDecision {
  readonly stale: boolean;
  readonly refresh: boolean;
}

const FRESH: RefreshDecision = { stale: false, refresh: false };

/**
 * Decides, for a hit, whether it is stale and whether to start a refresh: a stale hit always
 * refreshes; a fresh one does when early refresh picks it (XFetch, Vattani et al.: refresh when
 * `now - loadMs * beta * ln(random) >= freshUntil`, so keys whose value is slow to produce start
 * earlier, and one caller among many starts, at random, shortly before the expiry).
 *
 * @param random a number in (0, 1]; injectable for tests
 */
export function decideRefresh(
  policy: Pick<ReadThroughPolicy, 'graceMs' | 'earlyRefreshBeta'>,
  entry: CacheEntry,
  now: number,
  random = 1 - Math.random(),
): RefreshDecision {
  if (policy.graceMs === 0 && policy.earlyRefreshBeta === 0) return FRESH;
  if (policy.graceMs > 0 && now >= entry.freshUntil) return { stale: true, refresh: true };
  const early =
    policy.earlyRefreshBeta > 0 && now - entry.loadMs * policy.earlyRefreshBeta * Math.log(random) >= entry.freshUntil;
  return early ? { stale: false, refresh: true } : FRESH;
}

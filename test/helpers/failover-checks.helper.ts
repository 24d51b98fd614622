import { derivedValue, type DerivedValueService } from './derived-value.fixture.js';
import type { LoadReport } from './failover-load.helper.js';
import { eventually } from './polling.helper.js';
import { storedKeys } from './redis-cli.helper.js';
import type { RedisServerHandle } from './redis-server.js';

/** Generous bound on any one call while the topology changes under it; the cache's own deadline is 300 ms. */
const MAX_CALL_MS = 2_000;
/** Bound for the client to serve hits from a promoted node once the servers settled. */
const RESUME_TIMEOUT_MS = 10_000;
/** Entry TTL of {@link DerivedValueService.value}. */
const TTL_MS = 60_000;

/** Entries of `ids` found on `node` (SCAN of its keys under `<prefix>:`): id → stored key. */
export async function entriesOn(node: RedisServerHandle, prefix: string, ids: string[]): Promise<Map<string, string>> {
  const keys = await storedKeys(node, prefix);
  const found = new Map<string, string>();
  for (const id of ids) {
    const key = keys.find((stored) => stored.includes(id));
    if (key !== undefined) found.set(id, key);
  }
  return found;
}

/** What {@link expectCachingResumed} checks after one failover. */
export interface ResumeCheck {
  values: DerivedValueService;
  /** Ids stored before the failover (and known to be on the promoted node): must all be hits now. */
  warm: string[];
  /** A warm id whose entry is on the promoted node: polled until it is a hit. */
  probe: string;
  /** New ids: a miss then a hit each, the entries checked by `expectStored`. */
  fresh: string[];
  /** Asserts where the entries of `fresh` are stored, and with which TTL. */
  expectStored(fresh: string[]): Promise<void>;
}

/**
 * Polls until the probe is a hit (the method did not run), then asserts that every warm id is a
 * hit and that new entries are stored and hit again.
 *
 * @returns how long the probe took to become a hit, in ms.
 */
export async function expectCachingResumed({ values, warm, probe, fresh, expectStored }: ResumeCheck): Promise<number> {
  const started = Date.now();
  const resumed = await eventually(
    RESUME_TIMEOUT_MS,
    async () => {
      const runs = values.runsOf(probe);
      await values.value(probe);
      return values.runsOf(probe) === runs;
    },
    100,
  );
  expect({ probe, resumed }).toEqual({ probe, resumed: true });
  const resumeMs = Date.now() - started;

  const runsBefore = warm.map((id) => values.runsOf(id));
  for (const id of warm) await expect(values.value(id)).resolves.toEqual(derivedValue(id));
  expect(warm.map((id) => values.runsOf(id))).toEqual(runsBefore);

  for (const id of fresh) await expect(values.value(id)).resolves.toEqual(derivedValue(id));
  for (const id of fresh) await expect(values.value(id)).resolves.toEqual(derivedValue(id));
  expect(fresh.map((id) => values.runsOf(id))).toEqual(fresh.map(() => 1));
  await expectStored(fresh);
  return resumeMs;
}

/** Asserts a stored entry has a TTL within the method's. */
export async function expectTtl(node: RedisServerHandle, key: string): Promise<void> {
  const pttl = Number(await node.command('PTTL', key));
  expect({ key, pttl, ok: pttl > 0 && pttl <= TTL_MS }).toEqual({ key, pttl, ok: true });
}

/** Asserts the load saw no failure and stayed within {@link MAX_CALL_MS}. */
export function expectCleanLoad(report: LoadReport): void {
  expect(report.rejected).toEqual([]);
  expect({ wrongCount: report.wrongCount, wrong: report.wrong }).toEqual({ wrongCount: 0, wrong: [] });
  expect(report.maxLatencyMs).toBeLessThan(MAX_CALL_MS);
}

// nestjs-readthrough with its in-process L1 (module option `l1`, issue 13), in two set-ups:
//   - `readthrough-l1`: `l1: true`, the default semantics: every L1 hit decodes a FRESH copy of
//     the value from the held entry text (a caller may mutate what it gets);
//   - `readthrough-l1-shared`: `l1: { shareValues: true }`: every L1 hit returns the SAME object
//     (no decode per hit; callers must not mutate it).
// Both are kept coherent by RESP3 client tracking. The L1 serves only once tracking is confirmed
// (`stats().l1Live`), so setup waits for it: the worker's first pass over the 1,000 keys then
// fills the L1 from Redis, and the measured hits never reach Redis (like bentocache-l1's).
// close() checks from stats() that the hits really were L1 hits.
import { setTimeout as sleep } from 'node:timers/promises';
import { readThroughContender } from './nestjs-readthrough.mjs';

const LIVE_WAIT_MS = 5_000;

function l1Contender({ id, name, order, prefix, l1 }) {
  let cache; // RedisCacheService of the booted app (set by onApp, when the factory supports it)
  const base = readThroughContender({
    id,
    name,
    order,
    prefix,
    moduleOptions: { l1 },
    localCache: true,
    onApp(app, lib) {
      cache = app.get(lib.RedisCacheService);
    },
  });
  return {
    ...base,
    async setup(ctx) {
      cache = undefined;
      const handle = await base.setup(ctx);
      if (cache) {
        const t0 = Date.now();
        while (cache.stats().l1Live !== true) {
          if (Date.now() - t0 > LIVE_WAIT_MS) throw new Error(`${id}: L1 not live after ${LIVE_WAIT_MS} ms`);
          await sleep(5);
        }
      } else {
        // A factory without onApp: tracking is confirmed a round trip after connect; give it time.
        console.error(`[${id}] cannot read stats() (no onApp hook): waiting 500 ms for the L1 to go live`);
        await sleep(500);
      }
      return {
        ...handle,
        async close() {
          if (cache) {
            const s = cache.stats();
            console.error(
              `[${id}] stats: l1Hits ${s.l1Hits}, l1Size ${s.l1Size}, l1Live ${s.l1Live}, ` +
                `l1Evictions ${s.l1Evictions}, l1Invalidations ${s.l1Invalidations}, l1Flushes ${s.l1Flushes}, hits ${s.hits}, misses ${s.misses}`,
            );
            // A measuring child reads the 1,000 keys from Redis once, then every hit should be an L1 hit.
            if (s.hits > 1000 && !(s.l1Hits > 0)) throw new Error(`${id}: no L1 hit at all (l1Hits ${s.l1Hits})`);
          }
          await handle.close();
        },
      };
    },
  };
}

export default [
  l1Contender({
    id: 'readthrough-l1',
    name: 'nestjs-readthrough (L1 + redis, fresh copy per hit)',
    order: 15,
    prefix: 'bench-l1',
    l1: true,
  }),
  l1Contender({
    id: 'readthrough-l1-shared',
    name: 'nestjs-readthrough (L1 + redis, shareValues)',
    order: 16,
    prefix: 'bench-l1s',
    l1: { shareValues: true },
  }),
];

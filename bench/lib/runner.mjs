// Drives one contender's `get(id)` with a fixed number of operations at a fixed concurrency
// and records each operation's latency and the process's CPU time over the run.
import { performance } from 'node:perf_hooks';
import { KEY_COUNT } from './workload.mjs';
import { summarize } from './stats.mjs';

/**
 * Runs `ops` calls of `get(id)` with `concurrency` workers sharing one op counter.
 *
 * Op i reads logical key (i % KEY_COUNT): the keys in flight at any moment are consecutive,
 * hence distinct (concurrency < KEY_COUNT), so no contender can profit from coalescing
 * concurrent calls for the same key (cache-manager's wrap, bentocache and nestjs-readthrough
 * all de-duplicate in-flight calls per key). Each result is checked to be the object for its
 * key (`value.id === id`), which costs the same for everyone and proves every op ended in a
 * parsed object.
 *
 * @param {(id: number) => Promise<any>} get
 * @param {{ ops: number, concurrency: number, latencies: Float64Array }} opts
 *   latencies: preallocated buffer with length >= ops (reused between runs)
 * @returns the latency summary (stats.mjs) plus `userUs`/`systemUs`: this process's CPU time
 *   from the first op to the last (the full GC before the run is not counted)
 */
export async function measure(get, { ops, concurrency, latencies }) {
  if (concurrency >= KEY_COUNT) throw new Error('concurrency must stay below KEY_COUNT');
  const lat = latencies.subarray(0, ops);
  let next = 0;

  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= ops) return;
      const id = i % KEY_COUNT;
      const t0 = performance.now();
      const value = await get(id);
      lat[i] = performance.now() - t0;
      if (value === null || value === undefined || value.id !== id) {
        throw new Error(
          `op ${i}: expected the object for key ${id}, got ${typeof value === 'object' ? JSON.stringify(value)?.slice(0, 80) : String(value)}`,
        );
      }
    }
  };

  if (typeof globalThis.gc === 'function') globalThis.gc();
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const workers = [];
  for (let w = 0; w < concurrency; w++) workers.push(worker());
  await Promise.all(workers);
  const elapsed = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  return { ...summarize(lat, elapsed), userUs: cpu.user, systemUs: cpu.system };
}

/**
 * Issue 9, "Load": a tight awaited loop of misses whose method does no I/O must not grow the
 * in-flight map (it used to rely on a later event-loop turn to drop finished loads: 350,000
 * entries and 561 MB of heap, then out of memory at 1e6 keys).
 */
import 'reflect-metadata';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Injectable } from '@nestjs/common';
import { ReadThrough, RedisCacheService } from '../../lib/index.js';
import { cacheTestingModule, trackTestingModules } from '../helpers/nest-testing.helper.js';

@Injectable()
class Squares {
  @ReadThrough('sq:{0}')
  async square(n: number): Promise<{ n: number; square: number }> {
    return { n, square: n * n };
  }
}

// A full GC before each heap reading, so the figures are live memory and not garbage not yet collected.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

function liveHeap(): number {
  collectGarbage();
  return process.memoryUsage().heapUsed;
}

describe('memory store under a tight loop of distinct misses', () => {
  const modules = trackTestingModules();

  it('holds the in-flight map and the heap bounded over 1e6 distinct keys', async () => {
    const ref = await modules.boot(cacheTestingModule({ store: 'memory', prefix: 'bounds' }, [Squares]));
    const squares = ref.get(Squares);
    const cache = ref.get(RedisCacheService);
    const total = 1_000_000;
    let maxInflight = 0;
    let heapAfterWarmUp = 0;
    let maxHeap = 0;
    for (let n = 0; n < total; n++) {
      const result = await squares.square(n);
      if (result.square !== n * n) throw new Error(`wrong value for ${n}`);
      if (n % 100_000 === 0) {
        maxInflight = Math.max(maxInflight, cache.stats().inflight);
        const heap = liveHeap();
        if (n === 100_000) heapAfterWarmUp = heap;
        maxHeap = Math.max(maxHeap, heap);
      }
    }
    expect(cache.stats().loads).toBe(total);
    // At most the completed flights kept joinable (1,024) plus the one in progress.
    expect(maxInflight).toBeLessThanOrEqual(1_025);
    // The store is bounded (10,000 entries by default); the heap must not grow with the key count.
    expect(maxHeap - heapAfterWarmUp).toBeLessThan(32 * 1024 * 1024);
  }, 120_000);
});

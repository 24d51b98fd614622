// One store's soak, run as a child process of soak.bench.mjs so that its RSS is its own:
//
//   node --expose-gc soak/worker.mjs <redis|memory> [redis-url]
//
// A Nest application context with RedisCacheModule.forRoot(...) and a provider whose method
// carries @ReadThrough('soak:{0}', '10m'). Phases:
//   1. load:     every key once (all misses: the method runs, the value is stored)
//   2. warm:     every key SOAK_WARM_PASSES (2) more times (all hits), so JIT, pools and buffers
//                reach steady state
//   -> full GC, baseline memory
//   3. measured: SOAK_HITS hits over the keys, SOAK_CONCURRENCY workers; memory sampled 10 times
//   -> full GC, final memory, RedisCacheService.stats()
// Each result is checked to be the object for its key. Reports one IPC message { type: 'result' }.
import 'reflect-metadata';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadLibraryWithNest, decorateMethod } from '../lib/library-nest.mjs';
import { makeValue } from '../lib/workload.mjs';

const [store, url] = process.argv.slice(2);
const int = (name, fallback) => {
  const n = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer`);
  return n;
};
const KEYS = int('SOAK_KEYS', 100_000);
const HITS = int('SOAK_HITS', 1_000_000);
const CONCURRENCY = int('SOAK_CONCURRENCY', 32);
const SAMPLES = 10;
const SETTLE_MS = int('SOAK_SETTLE_MS', 1500);
const WARM_PASSES = int('SOAK_WARM_PASSES', 2);
// A multiplier coprime with KEYS (for the default 1e5 = 2^5·5^5) walks every key once per
// KEYS hits, in a scattered order instead of a sequential one.
const STRIDE = 7919;

// The redis store with the in-process L1 (issue 13): `redis-l1` at the L1's default bounds but
// 10,000 entries (fewer than the keys: evictions happen), `redis-l1-all` with room for every key.
const L1_STORES = {
  'redis-l1': { maxEntries: 10_000 },
  'redis-l1-all': { maxEntries: Math.max(KEYS, 100_000) + 10_000, maxBytes: 512 * 1024 * 1024 },
};
if ((store !== 'redis' && store !== 'memory' && !L1_STORES[store]) || typeof process.send !== 'function') {
  console.error(
    'usage (from soak.bench.mjs): node --expose-gc soak/worker.mjs <redis|memory|redis-l1|redis-l1-all> [redis-url]',
  );
  process.exit(2);
}

function gcFully() {
  if (typeof globalThis.gc !== 'function') return;
  globalThis.gc();
  globalThis.gc();
}

function memory() {
  const m = process.memoryUsage();
  return {
    rss: m.rss,
    heapUsed: m.heapUsed,
    heapTotal: m.heapTotal,
    external: m.external,
    arrayBuffers: m.arrayBuffers,
  };
}

/** Memory after full GCs and a pause, so that freed pages are given back before the reading. */
async function settledMemory() {
  for (let i = 0; i < 3; i++) {
    gcFully();
    await sleep(SETTLE_MS / 3);
  }
  return memory();
}

/** `ops` calls of get(keyOf(i)) with CONCURRENCY workers sharing one counter. */
async function drive(get, ops, keyOf, onProgress) {
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= ops) return;
      const id = keyOf(i);
      const value = await get(id);
      if (value === null || value === undefined || value.id !== id) {
        throw new Error(`op ${i}: expected the object for key ${id}, got ${JSON.stringify(value)?.slice(0, 80)}`);
      }
      if (onProgress) onProgress(i);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const elapsedMs = performance.now() - started;
  return { ops, elapsedMs, opsPerSec: (ops * 1000) / elapsedMs };
}

const { lib, common, core } = await loadLibraryWithNest();
const { RedisCacheModule, RedisCacheService, ReadThrough } = lib;
const { Injectable, Module } = common;

const counters = { loads: 0 };
class SoakService {
  async get(id) {
    counters.loads++;
    return makeValue(id);
  }
}
Injectable()(SoakService);
decorateMethod(SoakService, 'get', [ReadThrough('soak:{0}', '10m')]);

const moduleOptions =
  store === 'redis'
    ? { store: 'redis', url, prefix: 'soak', ttl: '10m' }
    : L1_STORES[store]
      ? { store: 'redis', url, prefix: store, ttl: '10m', l1: L1_STORES[store] }
      : {
          store: 'memory',
          prefix: 'soak',
          ttl: '10m',
          // Room for every key: a soak must measure hits, not evictions.
          memory: { maxEntries: Math.max(KEYS, 100_000) + 10_000, maxBytes: 512 * 1024 * 1024 },
        };
class SoakModule {}
Module({ imports: [RedisCacheModule.forRoot(moduleOptions)], providers: [SoakService] })(SoakModule);

const t0 = performance.now();
const app = await core.NestFactory.createApplicationContext(SoakModule, { logger: ['error', 'warn'] });
try {
  const service = app.get(SoakService);
  const cache = app.get(RedisCacheService);
  const get = (id) => service.get(id);
  // The L1 serves only once client tracking is confirmed.
  for (let waited = 0; moduleOptions.l1 && cache.stats().l1Live !== true; waited += 5) {
    if (waited > 5_000) throw new Error(`${store}: the L1 is not live after 5 s`);
    await sleep(5);
  }
  let l1SizeMax = 0;

  const startMemory = memory();
  const load = await drive(get, KEYS, (i) => i);
  const loadsAfterLoad = counters.loads;
  if (loadsAfterLoad !== KEYS) throw new Error(`load phase ran the method ${loadsAfterLoad} times for ${KEYS} keys`);
  const warm = await drive(get, KEYS * WARM_PASSES, (i) => (i * STRIDE) % KEYS);
  const warmMisses = counters.loads - loadsAfterLoad;
  const baseline = await settledMemory();
  const statsBefore = cache.stats();

  const samples = [];
  const every = Math.floor(HITS / SAMPLES);
  const loadsBefore = counters.loads;
  const measured = await drive(
    get,
    HITS,
    (i) => (i * STRIDE) % KEYS,
    (i) => {
      if ((i + 1) % every === 0)
        samples.push({
          afterHits: i + 1,
          rss: process.memoryUsage.rss(),
          heapUsed: process.memoryUsage().heapUsed,
          l1Size: cache.stats().l1Size,
        });
      if (moduleOptions.l1 && i % 1000 === 0) l1SizeMax = Math.max(l1SizeMax, cache.stats().l1Size);
    },
  );
  const measuredMisses = counters.loads - loadsBefore;
  const end = await settledMemory();
  const stats = cache.stats();

  process.send({
    type: 'result',
    store,
    keys: KEYS,
    hits: HITS,
    concurrency: CONCURRENCY,
    warmPasses: WARM_PASSES,
    settleMs: SETTLE_MS,
    phases: { load, warm, measured },
    warmMisses,
    measuredMisses,
    memory: { start: startMemory, baseline, end, samples },
    statsBefore,
    stats,
    options: moduleOptions.memory ? { memory: moduleOptions.memory } : moduleOptions.l1 ? { l1: moduleOptions.l1 } : {},
    l1SizeMax,
    elapsedMs: performance.now() - t0,
  });
} finally {
  await app.close();
}

// Instructions per hit of the hit-path benchmark's contenders, counted by valgrind (callgrind).
//
//   cd bench && node hit-icount.mjs [contender-id...]        (default: ceiling readthrough)
//
// ops/s and CPU time per hit (npm run bench) swing by ±20% from round to round on a shared
// 2-core machine; user-space instructions do not depend on what else runs, so a change of a
// few hundred nanoseconds per hit (and two builds, with BENCH_LIBRARY_DIR) can be compared in
// one run. They are not CPU time (kernel work, cache misses and stalls are not counted), which
// is why `npm run bench` stays the measure of the targets.
//
// Each contender runs in lib/hit-icount-worker.mjs under `valgrind --tool=callgrind
// --instr-atstart=no`: start-up, filling the 1,000 keys and a warm-up run uninstrumented, then
// counting is switched on (callgrind_control -i on) for exactly the measured hits and dumped.
// Knobs: ICOUNT_WARMUP (20000), ICOUNT_OPS (20000), ICOUNT_CONCURRENCY (64), ICOUNT_KEEP=<dir>
// (keep each dump as <dir>/<id>.callgrind, for callgrind_annotate). Needs valgrind;
// uses a private redis-server on a free 127.0.0.1 port, like the other benches.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { intFromEnv } from './lib/bench-env.mjs';
import { forkUnderCallgrind } from './lib/callgrind-child.mjs';
import { startRedisServer } from './lib/redis-process.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const config = {
  warmupOps: intFromEnv('ICOUNT_WARMUP', 20_000),
  ops: intFromEnv('ICOUNT_OPS', 20_000),
  concurrency: intFromEnv('ICOUNT_CONCURRENCY', 64),
};
const ids = process.argv.slice(2).length ? process.argv.slice(2) : ['ceiling', 'readthrough'];

/** Runs one contender under callgrind and resolves its instructions per measured hit. */
async function count(id, url) {
  const worker = forkUnderCallgrind(join(here, 'lib', 'hit-icount-worker.mjs'), [id, url, JSON.stringify(config)], id);
  try {
    const warm = await worker.next();
    if (warm.type !== 'warm') throw new Error(`${id}: ${warm.error ?? 'the worker stopped before warming up'}`);
    const {
      instructions,
      result: done,
      dump,
    } = await worker.count(() => {
      worker.child.send({ type: 'measure' });
      return worker.next();
    });
    if (done.type !== 'measured') throw new Error(`${id}: ${done.error ?? 'the worker stopped while measuring'}`);
    if (process.env.ICOUNT_KEEP) {
      await mkdir(process.env.ICOUNT_KEEP, { recursive: true });
      await writeFile(join(process.env.ICOUNT_KEEP, `${id}.callgrind`), dump);
    }
    return instructions / config.ops;
  } finally {
    if (worker.child.exitCode === null) worker.child.send({ type: 'close' });
    await worker.exited;
    await worker.dispose();
  }
}

const redis = await startRedisServer();
const results = [];
try {
  for (const id of ids) {
    const perHit = await count(id, redis.url);
    results.push({ id, perHit });
    console.log(`${id}: ${Math.round(perHit).toLocaleString('en-US')} instructions/hit`);
  }
} finally {
  await redis.stop();
}
const ceiling = results.find((r) => r.id === 'ceiling');
console.log(
  `\n${config.ops} hits at concurrency ${config.concurrency} after ${config.warmupOps} warm-up hits\n\n| contender | instructions/hit | vs ceiling |\n| --- | ---: | ---: |`,
);
for (const r of results) {
  const ratio = ceiling ? `${(r.perHit / ceiling.perHit).toFixed(3)}×` : 'n/a';
  console.log(`| ${r.id} | ${Math.round(r.perHit).toLocaleString('en-US')} | ${ratio} |`);
}

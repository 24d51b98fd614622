// Instructions per request of the HTTP hit benchmark's servers, counted by valgrind (callgrind).
//
//   cd bench && node http-icount.mjs [contender...]        (default: ceiling floor readthroughL1 readthrough)
//
// CPU time per request (bench:http) swings by ±30% from run to run on a shared 2-core machine;
// user-space instructions do not depend on what else runs, so small differences between
// contenders (and between two builds, with BENCH_LIBRARY_DIR) can be read off one run. They are
// not CPU time: kernel work (the one writev and read per request), cache misses and stalls are
// not counted, which is why bench:http stays the measure of the issue's targets.
//
// Each contender's server (http/server.mjs) runs under `valgrind --tool=callgrind
// --instr-atstart=no`: the start-up and an unreported warm-up run uninstrumented, then counting
// is switched on (callgrind_control -i on) for exactly the measured requests and dumped
// (callgrind_control -d). autocannon runs in this process, 10 connections, every body checked.
// A single count is usually within ~0.5% of the next, but now and then one is 5-30% off (a
// collection or a re-optimisation falling inside the counted requests): ICOUNT_RUNS=3 counts
// every contender that often, each in a fresh server, and reports the median and the range.
// Knobs: ICOUNT_WARMUP (5000), ICOUNT_AMOUNT (3000), ICOUNT_RUNS (1). Needs valgrind; uses a private
// redis-server on a free 127.0.0.1 port, like the other benches.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { forkUnderCallgrind } from './lib/callgrind-child.mjs';
import { startRedisServer } from './lib/redis-process.mjs';
import { intFromEnv } from './lib/bench-env.mjs';
import { median } from './lib/stats.mjs';
import { CONTENDERS, EXPECTED_BODY, ITEM_PATH } from './http/apps.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const WARMUP = intFromEnv('ICOUNT_WARMUP', 5_000);
const AMOUNT = intFromEnv('ICOUNT_AMOUNT', 3_000);
const RUNS = intFromEnv('ICOUNT_RUNS', 1);
const names = process.argv.slice(2).length
  ? process.argv.slice(2)
  : ['ceiling', 'floor', 'readthroughL1', 'readthrough'];

const run = (port, amount) =>
  autocannon({
    url: `http://127.0.0.1:${port}${ITEM_PATH}`,
    connections: 10,
    amount,
    expectBody: EXPECTED_BODY,
    timeout: 60,
  });

/** Instructions per measured request of one fresh server of contender `name`. */
async function countOnce(name, redisUrl) {
  const server = forkUnderCallgrind(join(here, 'http', 'server.mjs'), [name, redisUrl], name);
  try {
    const ready = await server.next();
    if (ready.type !== 'ready') throw new Error(`${name}: the server stopped before listening`);
    const url = `http://127.0.0.1:${ready.port}${ITEM_PATH}`;
    // Warm (and fill the caches) until the answer is a hit, as bench:http does.
    for (let i = 0; i < 20; i++) await (await fetch(url)).text();
    await run(ready.port, WARMUP);
    const { instructions, result: measured } = await server.count(() => run(ready.port, AMOUNT));
    const bad = measured.mismatches + measured.non2xx + measured.errors + measured.timeouts;
    if (bad) throw new Error(`${name}: ${bad} bad responses, count void`);
    return instructions / AMOUNT;
  } finally {
    if (server.child.exitCode === null) server.child.send({ type: 'close' });
    await server.exited;
    await server.dispose();
  }
}

const redis = await startRedisServer();
const results = [];
try {
  for (const name of names) {
    if (!CONTENDERS[name]) throw new Error(`unknown contender ${name}; one of ${Object.keys(CONTENDERS).join(', ')}`);
    const counts = [];
    for (let i = 0; i < RUNS; i++) counts.push(await countOnce(name, redis.url));
    results.push({ name, label: CONTENDERS[name].label, perRequest: median(counts), counts });
    const shown = counts.map((c) => Math.round(c).toLocaleString('en-US')).join(', ');
    console.log(`${CONTENDERS[name].label}: ${shown} instructions/request`);
  }
} finally {
  await redis.stop();
}
const ceiling = results.find((r) => r.name === 'ceiling');
console.log(
  `\n| contender | instructions/request${RUNS > 1 ? `, median of ${RUNS} (range)` : ''} | vs ceiling |\n| --- | ---: | ---: |`,
);
for (const r of results) {
  const ratio = ceiling ? `${(r.perRequest / ceiling.perRequest).toFixed(2)}×` : 'n/a';
  const range =
    RUNS > 1
      ? ` (${Math.round(Math.min(...r.counts)).toLocaleString('en-US')}–${Math.round(Math.max(...r.counts)).toLocaleString('en-US')})`
      : '';
  console.log(`| ${r.label} | ${Math.round(r.perRequest).toLocaleString('en-US')}${range} | ${ratio} |`);
}

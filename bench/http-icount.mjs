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
// Knobs: ICOUNT_WARMUP (5000), ICOUNT_AMOUNT (3000). Needs valgrind; uses a private
// redis-server on a free 127.0.0.1 port, like the other benches.
import { fork, execFileSync } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { startRedisServer } from './lib/redis-process.mjs';
import { intFromEnv } from './lib/bench-env.mjs';
import { CONTENDERS, EXPECTED_BODY, ITEM_PATH } from './http/apps.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const WARMUP = intFromEnv('ICOUNT_WARMUP', 5_000);
const AMOUNT = intFromEnv('ICOUNT_AMOUNT', 3_000);
const names = process.argv.slice(2).length
  ? process.argv.slice(2)
  : ['ceiling', 'floor', 'readthroughL1', 'readthrough'];

/** Starts `name`'s server under callgrind (counting off) and resolves its pid, port and a message reader. */
async function startCounted(name, url, outFile) {
  const child = fork(join(here, 'http', 'server.mjs'), [name, url], {
    execPath: 'valgrind',
    execArgv: ['--tool=callgrind', '--instr-atstart=no', `--callgrind-out-file=${outFile}`, process.execPath],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const queue = [];
  let waiting;
  child.on('message', (message) => (waiting ? (waiting(message), (waiting = undefined)) : queue.push(message)));
  const next = () => (queue.length ? Promise.resolve(queue.shift()) : new Promise((r) => (waiting = r)));
  const ready = await next();
  return { child, port: ready.port, next };
}

const run = (port, amount) =>
  autocannon({
    url: `http://127.0.0.1:${port}${ITEM_PATH}`,
    connections: 10,
    amount,
    expectBody: EXPECTED_BODY,
    timeout: 60,
  });

const redis = await startRedisServer();
const results = [];
try {
  for (const name of names) {
    if (!CONTENDERS[name]) throw new Error(`unknown contender ${name}; one of ${Object.keys(CONTENDERS).join(', ')}`);
    const outFile = join(tmpdir(), `http-icount-${process.pid}-${name}.out`);
    const server = await startCounted(name, redis.url, outFile);
    try {
      // Warm (and fill the caches) until the answer is a hit, as bench:http does.
      for (let i = 0; i < 20; i++) await (await fetch(`http://127.0.0.1:${server.port}${ITEM_PATH}`)).text();
      await run(server.port, WARMUP);
      const pid = String(server.child.pid);
      execFileSync('callgrind_control', ['-i', 'on', pid], { stdio: 'ignore' });
      const measured = await run(server.port, AMOUNT);
      execFileSync('callgrind_control', ['-d', pid], { stdio: 'ignore' });
      execFileSync('callgrind_control', ['-i', 'off', pid], { stdio: 'ignore' });
      const dump = await readFile(`${outFile}.1`, 'utf8');
      const instructions = Number(/^summary: (\d+)/m.exec(dump)?.[1]);
      const bad = measured.mismatches + measured.non2xx + measured.errors + measured.timeouts;
      results.push({ name, label: CONTENDERS[name].label, perRequest: instructions / AMOUNT, bad });
      console.log(
        `${CONTENDERS[name].label}: ${Math.round(instructions / AMOUNT).toLocaleString('en-US')} instructions/request${bad ? ` (${bad} bad responses: void)` : ''}`,
      );
    } finally {
      server.child.send({ type: 'close' });
      await new Promise((r) => server.child.once('exit', r));
      await rm(outFile, { force: true });
      await rm(`${outFile}.1`, { force: true });
    }
  }
} finally {
  await redis.stop();
}
const ceiling = results.find((r) => r.name === 'ceiling');
console.log(`\n| contender | instructions/request | vs ceiling |\n| --- | ---: | ---: |`);
for (const r of results) {
  const ratio = ceiling ? `${(r.perRequest / ceiling.perRequest).toFixed(2)}×` : 'n/a';
  console.log(`| ${r.label} | ${Math.round(r.perRequest).toLocaleString('en-US')} | ${ratio} |`);
}

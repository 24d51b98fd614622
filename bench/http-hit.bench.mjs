// HTTP cache HIT benchmark (issue 4): one warm key, 1 KB JSON, Nest on Express.
//
//   cd bench && npm install && npm run bench:http
//
// Three contenders in the same run, each server in its own child process (http/server.mjs) so
// that its CPU time is measured alone with process.cpuUsage():
//   - uncached constant handler (the ceiling)
//   - nestjs-readthrough: ReadThroughInterceptor + @ReadThrough on the route, Redis
//   - @nestjs/cache-manager: CacheInterceptor + @keyv/redis, Redis
// One private redis-server on a free 127.0.0.1 port serves both caches. autocannon runs in this
// process with 10 connections and a fixed request count; one unreported warm-up run per
// contender, then 3 measured runs per contender, interleaved round-robin with the starting
// contender rotated each round; medians are reported. Writes results/http-latest.md and
// results/http-latest.json.
//
// Knobs (environment): HTTP_BENCH_AMOUNT (20000), HTTP_BENCH_WARMUP (5000),
// HTTP_BENCH_CONNECTIONS (10), BENCH_ROUNDS (3), HTTP_BENCH_PIN (1; 0 = let the scheduler place
// the processes), HTTP_BENCH_OUT (http-latest: writes results/<name>.md and .json),
// HTTP_BENCH_FLOOR (1; 0 leaves out the hit-floor contender, an interceptor sending constant bytes).
import { pin } from './lib/child-process.mjs';
import { fork } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { createClient } from 'redis';

import { startRedisServer } from './lib/redis-process.mjs';
import { median, percentile } from './lib/stats.mjs';
import { CONTENDERS, EXPECTED_BODY, ITEM_PATH } from './http/apps.mjs';
import { intFromEnv, parseInfo, libraryRevision } from './lib/bench-env.mjs';

const here = dirname(fileURLToPath(import.meta.url));

const AMOUNT = intFromEnv('HTTP_BENCH_AMOUNT', 20_000);
const WARMUP = intFromEnv('HTTP_BENCH_WARMUP', 5_000);
const CONNECTIONS = intFromEnv('HTTP_BENCH_CONNECTIONS', 10);
const ROUNDS = intFromEnv('BENCH_ROUNDS', 3);
const ORDER = ['ceiling', 'readthrough', 'readthroughL1', 'cacheManager'];
if (process.env.HTTP_BENCH_FLOOR !== '0') ORDER.splice(3, 0, 'floor');
const WATCHDOG_MS = 10 * 60 * 1000;
const PIN = process.env.HTTP_BENCH_PIN !== '0';
const OUT = process.env.HTTP_BENCH_OUT || 'http-latest';

/**
 * Pins every thread of `pid` to one CPU with taskset; false when that is not possible here.
 * With two cores, each server gets CPU 0 to itself while autocannon and redis-server share
 * CPU 1: the server under test is then the bottleneck, so its req/s and CPU per request are
 * no longer disturbed by the load generator landing on its core at random moments.
 */
// Issue 4's targets for nestjs-readthrough.
const TARGET_RPS_VS_CEILING = 0.9;
const TARGET_CPU_VS_CEILING = 1.15;
// Issue 13's target for the route with the L1 (`l1: true`).
const TARGET_L1_CPU_VS_CEILING = 0.9;

const fmtInt = (n) => Math.round(n).toLocaleString('en-US');
const fmtUs = (us) => (us >= 100 ? fmtInt(us) : us.toFixed(1));
const fmtX = (x) => `${x.toFixed(2)}×`;

/** Redis-side counters: commands processed and CPU seconds (user + sys, main thread and all). */
async function redisCounters(admin) {
  const info = parseInfo(await admin.info());
  return {
    commands: Number(info.total_commands_processed),
    cpuS: Number(info.used_cpu_user) + Number(info.used_cpu_sys),
  };
}

async function pkgVersion(name, fromDir = join(here, 'node_modules')) {
  try {
    return JSON.parse(await readFile(join(fromDir, name, 'package.json'), 'utf8')).version;
  } catch {
    return 'n/a';
  }
}

/** Starts one contender's server in a child process and waits for its port. */
function startServer(name, url) {
  const child = fork(join(here, 'http', 'server.mjs'), [name, url], {
    execArgv: ['--expose-gc'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const waiters = new Map(); // type -> resolve
  let exited = false;
  let onExit;
  const exitPromise = new Promise((resolve) => {
    onExit = resolve;
  });
  child.on('message', (message) => {
    const resolve = waiters.get(message?.type);
    if (resolve) {
      waiters.delete(message.type);
      resolve(message);
    }
  });
  child.once('exit', (code, signal) => {
    exited = true;
    onExit({ code, signal });
    for (const [type, resolve] of waiters) resolve({ type: 'exit', code, signal, waitedFor: type });
    waiters.clear();
  });
  const next = (type, timeoutMs = 30_000) =>
    new Promise((resolve, reject) => {
      if (exited) return reject(new Error(`${name} server already exited`));
      const timer = setTimeout(
        () => reject(new Error(`${name} server: no '${type}' within ${timeoutMs} ms`)),
        timeoutMs,
      );
      waiters.set(type, (message) => {
        clearTimeout(timer);
        if (message.type === 'exit')
          reject(
            new Error(
              `${name} server exited (code ${message.code}, signal ${message.signal}) while waiting for '${type}'`,
            ),
          );
        else resolve(message);
      });
    });
  const request = async (type, reply) => {
    const answer = next(reply);
    child.send({ type });
    return answer;
  };
  const killOnExit = () => {
    if (!exited) child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  return {
    child,
    ready: next('ready', 60_000),
    start: () => request('start', 'started'),
    stop: () => request('stop', 'stopped'),
    async close() {
      process.removeListener('exit', killOnExit);
      if (exited) return;
      child.send({ type: 'close' });
      let timer;
      const result = await Promise.race([
        exitPromise,
        new Promise((r) => (timer = setTimeout(() => r('timeout'), 8000))),
      ]);
      clearTimeout(timer);
      if (result === 'timeout' && !exited) {
        child.kill('SIGKILL'); // our own child, by its pid
        await exitPromise;
      }
    },
  };
}

/** GETs the item until the contender answers a cache HIT (or, for the ceiling, once). */
async function warmAndVerify(name, baseUrl) {
  const url = `${baseUrl}${ITEM_PATH}`;
  const seen = [];
  for (let attempt = 0; attempt < 40; attempt++) {
    const res = await fetch(url);
    const body = await res.text();
    if (res.status !== 200) throw new Error(`${name}: GET ${ITEM_PATH} answered ${res.status}: ${body.slice(0, 200)}`);
    if (body !== EXPECTED_BODY)
      throw new Error(
        `${name}: body differs from the expected 1 KB JSON (${body.length} bytes): ${body.slice(0, 120)}`,
      );
    const status = res.headers.get('x-cache');
    seen.push(status ?? '-');
    if (name === 'ceiling') return { statuses: seen, headers: Object.fromEntries(res.headers) };
    if (status === 'HIT') return { statuses: seen, headers: Object.fromEntries(res.headers) };
    await new Promise((r) => setTimeout(r, 25)); // cache-manager stores after the response is sent
  }
  throw new Error(`${name}: never answered X-Cache: HIT (saw ${seen.join(', ')})`);
}

/**
 * One autocannon run of `amount` requests; latencies recorded per request at µs precision.
 *
 * The run's duration is taken from our own clock up to the LAST response: autocannon only
 * notices that `amount` is reached on its next sampling tick (`sampleInt`, 1 s by default), so
 * its own duration, and the time until its promise resolves, are rounded up to whole seconds —
 * a 4.1 s run would read as 5 s, which on runs of a few seconds is an error of up to 25% in req/s.
 */
async function load(baseUrl, amount, latencies) {
  let n = 0;
  let lastResponseAt = 0;
  const started = performance.now();
  const instance = autocannon({
    url: `${baseUrl}${ITEM_PATH}`,
    connections: CONNECTIONS,
    amount,
    expectBody: EXPECTED_BODY,
    timeout: 10,
  });
  instance.on('response', (_client, _statusCode, _bytes, responseTimeMs) => {
    if (n < latencies.length) latencies[n] = responseTimeMs;
    n++;
    lastResponseAt = performance.now();
  });
  const result = await instance;
  const elapsedMs = lastResponseAt - started;
  const lat = latencies.subarray(0, Math.min(n, latencies.length));
  lat.sort();
  return {
    responses: n,
    elapsedMs,
    reqPerSec: (n * 1000) / elapsedMs,
    p50Us: percentile(lat, 0.5) * 1000,
    p99Us: percentile(lat, 0.99) * 1000,
    maxUs: lat[lat.length - 1] * 1000,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    mismatches: result.mismatches,
  };
}

async function measuredRun(name, server, baseUrl, admin, amount, latencies) {
  const before = await redisCounters(admin);
  const ownCpu = process.cpuUsage();
  await server.start();
  const run = await load(baseUrl, amount, latencies);
  const cpu = await server.stop();
  const generatorCpu = process.cpuUsage(ownCpu);
  const after = await redisCounters(admin);
  const serverCpuUs = cpu.userUs + cpu.systemUs;
  return {
    ...run,
    serverCpuUs,
    serverUserUs: cpu.userUs,
    serverSystemUs: cpu.systemUs,
    cpuUsPerReq: serverCpuUs / run.responses,
    handlerRuns: cpu.handlerRuns,
    serverRss: cpu.rss,
    // -1: the INFO that took the "before" reading is counted in the "after" one.
    redisCmdsPerReq: (after.commands - before.commands - 1) / run.responses,
    redisCpuUsPerReq: ((after.cpuS - before.cpuS) * 1e6) / run.responses,
    generatorCpuUsPerReq: (generatorCpu.user + generatorCpu.system) / run.responses,
  };
}

function checkRun(name, run, amount, notes) {
  const problems = [];
  if (run.responses !== amount) problems.push(`${run.responses} responses for ${amount} requests`);
  if (run.errors) problems.push(`${run.errors} errors`);
  if (run.timeouts) problems.push(`${run.timeouts} timeouts`);
  if (run.non2xx) problems.push(`${run.non2xx} non-2xx`);
  if (run.mismatches) problems.push(`${run.mismatches} bodies differ from the expected JSON`);
  if (name !== 'ceiling' && run.handlerRuns)
    problems.push(`${run.handlerRuns} handler runs (misses) during a measured run`);
  if (problems.length) {
    const note = `${CONTENDERS[name].label}: ${problems.join(', ')}; its numbers are void.`;
    console.log(`warning: ${note}`);
    notes.push(note);
  }
}

async function main() {
  const t0 = performance.now();
  const watchdog = setTimeout(() => {
    console.error(`bench:http: still running after ${WATCHDOG_MS / 60000} min, giving up`);
    process.exit(2);
  }, WATCHDOG_MS);
  watchdog.unref();

  const redis = await startRedisServer({
    onUnexpectedExit: (message) => {
      console.error(`bench:http: ${message}\nbench:http: aborting, numbers from this run are void`);
      process.exit(1);
    },
  });
  const servers = new Map();
  const notes = [];
  let admin;
  try {
    admin = createClient({ url: redis.url });
    admin.on('error', (err) => console.error(`[admin] redis error: ${err.message}`));
    await admin.connect();
    const redisVersion = parseInfo(await admin.info('server')).redis_version ?? 'unknown';
    const cpu = cpus();
    const loadBefore = loadavg()[0];

    for (const name of ORDER) {
      const server = startServer(name, redis.url);
      servers.set(name, server);
    }
    const pinned =
      PIN &&
      cpus().length >= 2 &&
      pin(process.pid, 1) &&
      pin(redis.pid, 1) &&
      ORDER.every((name) => pin(servers.get(name).child.pid, 0));
    const ready = new Map();
    for (const [name, server] of servers) {
      const message = await server.ready;
      ready.set(name, { ...message, baseUrl: `http://127.0.0.1:${message.port}` });
    }

    const env = {
      node: process.version,
      redisServer: redisVersion,
      cpu: `${cpu.length} × ${cpu[0]?.model?.trim() ?? 'unknown'}`,
      library: `nestjs-readthrough ${await pkgVersion('nestjs-readthrough')} (${process.env.BENCH_LIBRARY_REVISION ? `${process.env.BENCH_LIBRARY_REVISION}, built in ${process.env.BENCH_LIBRARY_DIR}` : libraryRevision()})`,
      packages: {
        autocannon: await pkgVersion('autocannon'),
        '@nestjs/cache-manager': await pkgVersion('@nestjs/cache-manager'),
        'cache-manager': await pkgVersion('cache-manager'),
        keyv: await pkgVersion('keyv'),
        '@keyv/redis': `${await pkgVersion('@keyv/redis')} (@redis/client ${await pkgVersion('@redis/client')})`,
        redis: `${await pkgVersion('redis')} (@redis/client ${await pkgVersion('@redis/client', join(here, 'node_modules', 'redis', 'node_modules'))})`,
      },
      nest: Object.fromEntries([...ready].map(([name, r]) => [name, r.nest])),
      pinned,
    };

    console.log('# nestjs-readthrough bench — HTTP cache HIT path (Express)\n');
    console.log(
      `node ${env.node} · redis-server ${env.redisServer} (private, 127.0.0.1:${redis.port}, pid ${redis.pid}) · ${env.cpu}`,
    );
    console.log(pinned ? 'placement: servers on CPU 0; autocannon and redis-server on CPU 1' : 'placement: not pinned');
    console.log(
      `${env.library} · ${Object.entries(env.packages)
        .map(([k, v]) => `${k} ${v}`)
        .join(' · ')}`,
    );
    for (const [name, r] of ready) {
      console.log(
        `server ${CONTENDERS[name].label}: pid ${r.pid}, 127.0.0.1:${r.port}, ${Object.entries(r.nest)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}`,
      );
    }
    if (loadBefore > cpu.length * 0.75) {
      console.log(
        `warning: 1-min load average is ${loadBefore.toFixed(2)} on ${cpu.length} cores before starting; other work will skew the numbers`,
      );
    }
    console.log(
      `workload: GET ${ITEM_PATH}, ${EXPECTED_BODY.length} B JSON body, one warm key; autocannon ${CONNECTIONS} connections, ` +
        `${fmtInt(AMOUNT)} requests per run, ${fmtInt(WARMUP)}-request unreported warm-up, ${ROUNDS} interleaved runs per contender\n`,
    );

    const verified = {};
    for (const [name, r] of ready) {
      verified[name] = await warmAndVerify(name, r.baseUrl);
      console.log(`warmed: ${CONTENDERS[name].label}: X-Cache ${verified[name].statuses.join(' → ')}`);
    }
    console.log('');

    const latencies = new Float64Array(Math.max(AMOUNT, WARMUP));
    for (const name of ORDER) {
      const w = await measuredRun(name, servers.get(name), ready.get(name).baseUrl, admin, WARMUP, latencies);
      console.log(
        `  warm-up      ${CONTENDERS[name].label.padEnd(52)} ${fmtInt(w.reqPerSec).padStart(7)} req/s  (not reported)`,
      );
    }

    const runs = new Map(ORDER.map((name) => [name, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (let k = 0; k < ORDER.length; k++) {
        const name = ORDER[(k + round) % ORDER.length];
        const run = await measuredRun(name, servers.get(name), ready.get(name).baseUrl, admin, AMOUNT, latencies);
        checkRun(name, run, AMOUNT, notes);
        runs.get(name).push(run);
        console.log(
          `  run ${round + 1}/${ROUNDS}      ${CONTENDERS[name].label.padEnd(52)} ${fmtInt(run.reqPerSec).padStart(7)} req/s  ` +
            `p50 ${fmtUs(run.p50Us).padStart(5)} µs  p99 ${fmtUs(run.p99Us).padStart(5)} µs  ` +
            `server CPU ${fmtUs(run.cpuUsPerReq).padStart(5)} µs/req  redis ${run.redisCmdsPerReq.toFixed(2)} cmd/req`,
        );
      }
    }

    const rows = ORDER.map((name) => {
      const rs = runs.get(name);
      return {
        name,
        label: CONTENDERS[name].label,
        reqPerSec: median(rs.map((r) => r.reqPerSec)),
        p50Us: median(rs.map((r) => r.p50Us)),
        p99Us: median(rs.map((r) => r.p99Us)),
        cpuUsPerReq: median(rs.map((r) => r.cpuUsPerReq)),
        redisCmdsPerReq: median(rs.map((r) => r.redisCmdsPerReq)),
        redisCpuUsPerReq: median(rs.map((r) => r.redisCpuUsPerReq)),
        generatorCpuUsPerReq: median(rs.map((r) => r.generatorCpuUsPerReq)),
        runs: rs,
      };
    });
    const byName = Object.fromEntries(rows.map((r) => [r.name, r]));
    const ceiling = byName.ceiling;
    const rt = byName.readthrough;
    const cm = byName.cacheManager;
    const l1 = byName.readthroughL1;

    const loadAfter = loadavg()[0];
    if (loadAfter > cpu.length * 1.5) {
      const note = `1-min load average was ${loadBefore.toFixed(2)} before and ${loadAfter.toFixed(2)} after the run on ${cpu.length} cores: other processes competed for CPU, treat these numbers as noisy.`;
      console.log(`warning: ${note}`);
      notes.push(note);
    }

    // Paired by round: the ratio of two contenders' runs in the SAME round, median over rounds.
    // Runs of one round are seconds apart, so slow drift of the machine (other work, CPU clock)
    // cancels out better than in a ratio of medians taken from different moments.
    const paired = (a, b, metric) => median(runs.get(a).map((r, i) => r[metric] / runs.get(b)[i][metric]));
    for (const row of rows) {
      row.pairedRpsVsCeiling = paired(row.name, 'ceiling', 'reqPerSec');
      row.pairedCpuVsCeiling = paired(row.name, 'ceiling', 'cpuUsPerReq');
    }
    const rpsRatio = rt.reqPerSec / ceiling.reqPerSec;
    const cpuRatio = rt.cpuUsPerReq / ceiling.cpuUsPerReq;
    const cpuVsCm = rt.cpuUsPerReq / cm.cpuUsPerReq;
    const pairedCpuVsCm = paired('readthrough', 'cacheManager', 'cpuUsPerReq');
    const targets = [
      {
        what: `req/s ≥ ${TARGET_RPS_VS_CEILING}× ceiling`,
        value: fmtX(rpsRatio),
        paired: fmtX(rt.pairedRpsVsCeiling),
        met: rpsRatio >= TARGET_RPS_VS_CEILING,
      },
      {
        what: `server CPU/request ≤ ${TARGET_CPU_VS_CEILING}× ceiling`,
        value: fmtX(cpuRatio),
        paired: fmtX(rt.pairedCpuVsCeiling),
        met: cpuRatio <= TARGET_CPU_VS_CEILING,
      },
      {
        what: 'server CPU/request below cache-manager',
        value: `${fmtUs(rt.cpuUsPerReq)} vs ${fmtUs(cm.cpuUsPerReq)} µs (${fmtX(cpuVsCm)})`,
        paired: fmtX(pairedCpuVsCm),
        met: rt.cpuUsPerReq < cm.cpuUsPerReq,
      },
      {
        what: `l1: true: server CPU/request ≤ ${TARGET_L1_CPU_VS_CEILING}× ceiling (issue 13)`,
        value: `${fmtUs(l1.cpuUsPerReq)} vs ${fmtUs(ceiling.cpuUsPerReq)} µs (${fmtX(l1.cpuUsPerReq / ceiling.cpuUsPerReq)})`,
        paired: fmtX(l1.pairedCpuVsCeiling),
        met: l1.cpuUsPerReq <= TARGET_L1_CPU_VS_CEILING * ceiling.cpuUsPerReq,
      },
      ...(byName.floor
        ? [
            {
              what: 'hit floor (no cache: constant bytes at end()) vs ceiling: the least an interceptor hit costs (no target)',
              value: fmtX(byName.floor.cpuUsPerReq / ceiling.cpuUsPerReq),
              paired: fmtX(byName.floor.pairedCpuVsCeiling),
              met: true,
            },
            {
              what: 'l1: true vs the hit floor: what the cache adds over it (no target)',
              value: `${fmtUs(l1.cpuUsPerReq)} vs ${fmtUs(byName.floor.cpuUsPerReq)} µs (${fmtX(l1.cpuUsPerReq / byName.floor.cpuUsPerReq)})`,
              paired: fmtX(paired('readthroughL1', 'floor', 'cpuUsPerReq')),
              met: true,
            },
          ]
        : []),
      {
        what: 'l1: true: req/s vs ceiling (no target)',
        value: fmtX(l1.reqPerSec / ceiling.reqPerSec),
        paired: fmtX(l1.pairedRpsVsCeiling),
        met: true,
      },
    ];

    const elapsedS = (performance.now() - t0) / 1000;
    const table = [
      `### ${fmtInt(AMOUNT)} requests per run, ${CONNECTIONS} connections, median of ${ROUNDS} runs`,
      '',
      '| contender | req/s | p50 µs | p99 µs | server CPU µs/req | req/s vs ceiling | CPU/req vs ceiling | CPU/req vs ceiling, paired by round | redis cmd/req |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
      ...rows.map(
        (r) =>
          `| ${r.label} | ${fmtInt(r.reqPerSec)} | ${fmtUs(r.p50Us)} | ${fmtUs(r.p99Us)} | ${fmtUs(r.cpuUsPerReq)} | ` +
          `${fmtX(r.reqPerSec / ceiling.reqPerSec)} | ${fmtX(r.cpuUsPerReq / ceiling.cpuUsPerReq)} | ${fmtX(r.pairedCpuVsCeiling)} | ${r.redisCmdsPerReq.toFixed(2)} |`,
      ),
    ];
    const perRun = [
      '| run | contender | req/s | p50 µs | p99 µs | server CPU µs/req (user + sys) | redis-server CPU µs/req | autocannon CPU µs/req |',
      '| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ];
    for (let round = 0; round < ROUNDS; round++) {
      for (let k = 0; k < ORDER.length; k++) {
        const name = ORDER[(k + round) % ORDER.length];
        const r = runs.get(name)[round];
        perRun.push(
          `| ${round + 1} | ${CONTENDERS[name].label} | ${fmtInt(r.reqPerSec)} | ${fmtUs(r.p50Us)} | ${fmtUs(r.p99Us)} | ` +
            `${fmtUs(r.cpuUsPerReq)} (${fmtUs(r.serverUserUs / r.responses)} + ${fmtUs(r.serverSystemUs / r.responses)}) | ` +
            `${fmtUs(r.redisCpuUsPerReq)} | ${fmtUs(r.generatorCpuUsPerReq)} |`,
        );
      }
    }
    const hdr = (name) => {
      const h = verified[name].headers;
      return ['x-cache', 'age', 'etag', 'content-length']
        .filter((k) => h[k] !== undefined)
        .map((k) => `${k}: ${h[k]}`)
        .join(', ');
    };

    const placement = pinned
      ? 'Placement: each server is pinned to CPU 0, autocannon and redis-server to CPU 1 (`taskset`), so the server under test ' +
        'has a core to itself and is the bottleneck of its run; the ceiling has no Redis, so it loses nothing by this.'
      : `Placement: not pinned; the load generator, the servers and redis-server share the ${cpu.length} cores, so req/s is noisy ` +
        'and CPU per request is the steadier figure.';
    const md = [
      '# HTTP cache HIT path (Express)',
      '',
      `node ${env.node} · redis-server ${env.redisServer} on 127.0.0.1 (private instance, persistence off) · ${env.cpu} · ` +
        `load average ${loadBefore.toFixed(2)} → ${loadAfter.toFixed(2)} · ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`,
      '',
      `${env.library}; ${Object.entries(env.packages)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}.`,
      `Nest: ${[...ready]
        .map(
          ([name, r]) =>
            `${CONTENDERS[name].label}: ${Object.entries(r.nest)
              .map(([k, v]) => `${k} ${v}`)
              .join(', ')}`,
        )
        .join('; ')}.`,
      '',
      `Workload: \`GET ${ITEM_PATH}\`, a ${EXPECTED_BODY.length} B JSON body, one warm key. autocannon (in the parent process) with ` +
        `${CONNECTIONS} connections and a fixed ${fmtInt(AMOUNT)} requests per run; every response body is compared with the expected ` +
        `bytes; req/s = responses ÷ time from the start of the run to the last response (autocannon's own duration is rounded up ` +
        `to its 1 s sampling tick). Each server runs in its own child process; **server CPU** is that process's \`process.cpuUsage()\` (user + ` +
        `system) over the run ÷ requests. ${placement} One unreported ${fmtInt(WARMUP)}-request warm-up per ` +
        `contender, then ${ROUNDS} runs each, round-robin with the first contender rotated every round; medians per metric. ` +
        `"Paired by round" divides a contender's run by the ceiling's run of the same round and takes the median of those ratios, ` +
        `which cancels slow drift of a shared machine better than a ratio of medians.`,
      '',
      ...table,
      '',
      'Targets for nestjs-readthrough (issue 4; the l1: true rows issue 13):',
      '',
      '| target | measured (ratio of the medians) | met | paired by round (median of per-round ratios) |',
      '| --- | ---: | :---: | ---: |',
      ...targets.map((t) => `| ${t.what} | ${t.value} | ${t.met ? 'yes' : '**no**'} | ${t.paired} |`),
      '',
      'Every run:',
      '',
      ...perRun,
      '',
      'How each server answers (headers of the warm-up hit):',
      '',
      ...ORDER.map(
        (name) =>
          `- **${CONTENDERS[name].label}**: ${CONTENDERS[name].how}. Hit headers: ${hdr(name) || 'none of X-Cache/Age/ETag'}.`,
      ),
      ...(notes.length ? ['', 'Notes:', '', ...notes.map((n) => `- ${n}`)] : []),
      '',
      `Total bench time: ${elapsedS.toFixed(0)} s.`,
      '',
    ].join('\n');

    console.log('');
    console.log(md);
    await mkdir(join(here, 'results'), { recursive: true });
    await writeFile(join(here, 'results', `${OUT}.md`), md);
    await writeFile(
      join(here, 'results', `${OUT}.json`),
      JSON.stringify(
        {
          date: new Date().toISOString(),
          env,
          loadAverage1m: { before: loadBefore, after: loadAfter },
          amount: AMOUNT,
          warmup: WARMUP,
          connections: CONNECTIONS,
          rounds: ROUNDS,
          rows,
          targets,
          notes,
        },
        null,
        2,
      ) + '\n',
    );
    console.log(`wrote results/${OUT}.md and results/${OUT}.json (${elapsedS.toFixed(0)} s)`);
    if (notes.some((n) => n.includes('void'))) process.exitCode = 1;
  } finally {
    for (const [name, server] of servers) {
      try {
        await server.close();
      } catch (err) {
        console.error(`close ${name}: ${err?.message ?? err}`);
      }
    }
    if (admin?.isOpen) await admin.close();
    await redis.stop();
    clearTimeout(watchdog);
  }
  setTimeout(() => {
    console.error(
      `bench:http: an open handle kept the process alive after everything was closed (${process.getActiveResourcesInfo().join(', ')}); exiting`,
    );
    process.exit(process.exitCode ?? 0);
  }, 8000).unref(); // lib/redis-process.mjs's stop() leaves a 5 s sleep pending
}

main().catch((err) => {
  console.error(err?.stack ?? err);
  process.exitCode = 1;
});

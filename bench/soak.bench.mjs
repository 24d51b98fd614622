// Soak (issue 5): 1e6 read-through hits over 1e5 keys on the redis store and on the memory
// store, with RSS after warm-up and at the end. Bounded: about a minute on 2 cores.
//
//   cd bench && npm install && npm run bench:soak
//
// Each store runs in its own child process (soak/worker.mjs), one after the other, so each RSS
// figure belongs to one store alone. The redis store talks to a private redis-server started
// here on a free 127.0.0.1 port (never 6379) and stopped by its pid at the end.
// Writes results/soak-latest.md and results/soak-latest.json.
//
// Knobs (environment): SOAK_KEYS (100000), SOAK_HITS (1000000), SOAK_CONCURRENCY (32),
// SOAK_ONLY (redis | memory | redis-l1 | redis-l1-all, comma-separated; the l1 ones: issue 13),
// SOAK_OUT (results file name, soak-latest).
import { fork } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { createClient } from 'redis';
import { startRedisServer } from './lib/redis-process.mjs';
import { parseInfo, libraryRevision } from './lib/bench-env.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const GROWTH_TARGET = 0.1; // issue 5: RSS growth < 10%
const WORKER_TIMEOUT_MS = 4 * 60 * 1000;
const WATCHDOG_MS = 10 * 60 * 1000;

const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const fmtInt = (n) => Math.round(n).toLocaleString('en-US');
const pct = (x) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;

/** Runs one store's soak in a child process and returns its result message. */
function runWorker(store, url) {
  return new Promise((resolve, reject) => {
    const child = fork(join(here, 'soak', 'worker.mjs'), url ? [store, url] : [store], {
      execArgv: ['--expose-gc'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let result;
    const killOnExit = () => child.kill('SIGKILL');
    process.once('exit', killOnExit);
    const timer = setTimeout(() => {
      console.error(
        `soak: the ${store} worker (pid ${child.pid}) is still running after ${WORKER_TIMEOUT_MS / 1000} s; killing it`,
      );
      child.kill('SIGKILL'); // our own child, by its pid
    }, WORKER_TIMEOUT_MS);
    child.on('message', (message) => {
      if (message?.type === 'result') result = message;
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      process.removeListener('exit', killOnExit);
      if (result && code === 0) resolve({ ...result, pid: child.pid });
      else
        reject(
          new Error(
            `${store} worker exited with code ${code}, signal ${signal}${result ? ' after reporting' : ' without a result'}`,
          ),
        );
    });
  });
}

function memoryOptionsText(memory) {
  if (!memory) return '{}';
  return `{ maxEntries: ${memory.maxEntries}, maxBytes: ${memory.maxBytes / 1024 / 1024} MiB }`;
}

function summarize(r) {
  const base = r.memory.baseline.rss;
  const end = r.memory.end.rss;
  const growth = (end - base) / base;
  const peak = Math.max(...r.memory.samples.map((s) => s.rss), end);
  const s = r.stats;
  const b = r.statsBefore;
  return {
    store: r.store,
    baselineRss: base,
    endRss: end,
    peakRss: peak,
    growth,
    heapBaseline: r.memory.baseline.heapUsed,
    heapEnd: r.memory.end.heapUsed,
    measuredOpsPerSec: r.phases.measured.opsPerSec,
    measuredS: r.phases.measured.elapsedMs / 1000,
    hitsCounted: s.hits - b.hits,
    missesCounted: s.misses - b.misses,
    met: growth < GROWTH_TARGET && s.inflight === 0 && r.measuredMisses === 0,
  };
}

async function main() {
  const t0 = performance.now();
  const watchdog = setTimeout(() => {
    console.error(`soak: still running after ${WATCHDOG_MS / 60000} min, giving up`);
    process.exit(2);
  }, WATCHDOG_MS);
  watchdog.unref();

  const only = (process.env.SOAK_ONLY ?? '').trim();
  const stores = only ? only.split(',').map((s) => s.trim()) : ['redis', 'memory'];
  const loadBefore = loadavg()[0];
  const cpu = cpus();
  const libVersion = JSON.parse(
    await readFile(join(here, 'node_modules', 'nestjs-readthrough', 'package.json'), 'utf8'),
  ).version;
  const library = `nestjs-readthrough ${libVersion} (${process.env.BENCH_LIBRARY_REVISION ? `${process.env.BENCH_LIBRARY_REVISION}, built in ${process.env.BENCH_LIBRARY_DIR}` : libraryRevision()})`;

  const results = [];
  let redisInfo = null;
  let redisVersion = 'n/a';
  for (const store of stores) {
    if (store === 'redis' || store.startsWith('redis-l1')) {
      const server = await startRedisServer({
        onUnexpectedExit: (message) => {
          console.error(`soak: ${message}\nsoak: aborting`);
          process.exit(1);
        },
      });
      const admin = createClient({ url: server.url });
      admin.on('error', (err) => console.error(`[admin] redis error: ${err.message}`));
      try {
        await admin.connect();
        redisVersion = parseInfo(await admin.info('server')).redis_version ?? 'unknown';
        console.log(
          `soak: redis store — private redis-server ${redisVersion} on 127.0.0.1:${server.port} (pid ${server.pid})`,
        );
        const r = await runWorker(store, server.url);
        const info = parseInfo(await admin.info());
        redisInfo = {
          keys: await admin.dbSize(),
          usedMemory: Number(info.used_memory),
          commands: Number(info.total_commands_processed),
          connectedClientsAfter: Number(info.connected_clients) - 1,
        };
        results.push(r);
      } finally {
        if (admin.isOpen) await admin.close();
        await server.stop();
      }
    } else if (store === 'memory') {
      console.log('soak: memory store');
      results.push(await runWorker('memory'));
    } else {
      throw new Error(`SOAK_ONLY: unknown store ${store}`);
    }
    const r = results[results.length - 1];
    const s = summarize(r);
    console.log(
      `  ${r.store}: load ${fmtInt(r.phases.load.opsPerSec)} misses/s, warm ${fmtInt(r.phases.warm.opsPerSec)} hits/s, ` +
        `measured ${fmtInt(r.hits)} hits in ${s.measuredS.toFixed(1)} s (${fmtInt(s.measuredOpsPerSec)}/s); ` +
        `RSS ${mb(s.baselineRss)} → ${mb(s.endRss)} (${pct(s.growth)}), inflight ${r.stats.inflight}, ${r.measuredMisses} misses during the hits`,
    );
  }

  const loadAfter = loadavg()[0];
  const elapsedS = (performance.now() - t0) / 1000;
  const first = results[0];
  const rows = results.map((r) => ({ r, s: summarize(r) }));
  const notes = [];
  if (loadAfter > cpu.length * 1.5) {
    notes.push(
      `1-min load average was ${loadBefore.toFixed(2)} before and ${loadAfter.toFixed(2)} after on ${cpu.length} cores: other processes competed for CPU (throughput figures are noisy; memory figures are not affected).`,
    );
  }
  for (const { r } of rows) {
    if (r.measuredMisses)
      notes.push(
        `${r.store}: the method ran ${r.measuredMisses} times during the measured hits (evictions or expiries); the soak should be all hits.`,
      );
    if (r.stats.inflight !== 0)
      notes.push(`${r.store}: ${r.stats.inflight} single-flight entries still in flight at the end (must be 0).`);
    if (r.warmMisses) notes.push(`${r.store}: ${r.warmMisses} misses in the warm pass.`);
    if (r.options.l1) {
      const max = Math.max(r.l1SizeMax, r.stats.l1Size, ...r.memory.samples.map((x) => x.l1Size));
      notes.push(
        `${r.store}: l1 ${JSON.stringify(r.options.l1)}; l1Size at most ${fmtInt(max)} (sampled every 1,000 hits) and ${fmtInt(r.stats.l1Size)} at the end: ` +
          `${max <= r.options.l1.maxEntries ? 'within' : '**over**'} maxEntries; l1Hits ${fmtInt(r.stats.l1Hits)}, l1Evictions ${fmtInt(r.stats.l1Evictions)}, ` +
          `l1Invalidations ${fmtInt(r.stats.l1Invalidations)}, l1Flushes ${fmtInt(r.stats.l1Flushes)}.`,
      );
    }
  }

  const statKeys = [
    'hits',
    'misses',
    'loads',
    'rejectedEntries',
    'storeErrors',
    'skippedWrites',
    'staleHits',
    'refreshes',
    'refreshFailures',
    'lockWaits',
    'inflight',
  ];
  const md = [
    '# Soak: read-through hits on the redis and memory stores',
    '',
    `node ${process.version} · ${cpu.length} × ${cpu[0]?.model?.trim() ?? 'unknown'} · redis-server ${redisVersion} on 127.0.0.1 (private instance, persistence off) · ` +
      `load average ${loadBefore.toFixed(2)} → ${loadAfter.toFixed(2)} · ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC · ${library}`,
    '',
    `Workload: a provider method with \`@ReadThrough('soak:{0}', '10m')\` returning a 1,024 B JSON object (\`lib/workload.mjs\`). ` +
      `Per store, in its own process: load ${fmtInt(first.keys)} keys (all misses), ${first.warmPasses} warm passes over them ` +
      `(${fmtInt(first.keys * first.warmPasses)} hits), full GC, ` +
      `**baseline**; then ${fmtInt(first.hits)} hits over the ${fmtInt(first.keys)} keys (each key ${fmtInt(first.hits / first.keys)} times, scattered order) ` +
      `with ${first.concurrency} concurrent callers, every result checked; full GC, **end**. Both readings are ` +
      `\`process.memoryUsage()\` after three rounds of \`gc()\` spread over ${first.settleMs} ms. Redis store: \`RedisCacheModule.forRoot({ url, prefix: 'soak', ttl: '10m' })\`; memory store: ` +
      `\`{ store: 'memory', prefix: 'soak', ttl: '10m', memory: ${memoryOptionsText(rows.find((x) => x.r.store === 'memory')?.r.options.memory)} }\`.`,
    '',
    `| store | RSS after warm-up | RSS at the end | growth (target < ${GROWTH_TARGET * 100}%) | RSS peak during the hits | heap used warm-up → end | hits/s | measured hits time | met |`,
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | :---: |',
    ...rows.map(
      ({ s }) =>
        `| ${s.store} | ${mb(s.baselineRss)} | ${mb(s.endRss)} | ${pct(s.growth)} | ${mb(s.peakRss)} | ${mb(s.heapBaseline)} → ${mb(s.heapEnd)} | ` +
        `${fmtInt(s.measuredOpsPerSec)} | ${s.measuredS.toFixed(1)} s | ${s.met ? 'yes' : '**no**'} |`,
    ),
    '',
    '`RedisCacheService.stats()` at the end (whole process: load + warm passes + measured hits):',
    '',
    `| store | ${statKeys.join(' | ')} |`,
    `| --- | ${statKeys.map(() => '---:').join(' | ')} |`,
    ...rows.map(({ r }) => `| ${r.store} | ${statKeys.map((k) => fmtInt(r.stats[k] ?? NaN)).join(' | ')} |`),
    '',
    'RSS every tenth of the measured hits:',
    '',
    `| store | ${first.memory.samples.map((x) => fmtInt(x.afterHits)).join(' | ')} |`,
    `| --- | ${first.memory.samples.map(() => '---:').join(' | ')} |`,
    ...rows.map(({ r }) => `| ${r.store} | ${r.memory.samples.map((x) => mb(x.rss).replace(' MB', '')).join(' | ')} |`),
    '',
    'Phases:',
    '',
    ...rows.map(
      ({ r }) =>
        `- **${r.store}**: load ${fmtInt(r.keys)} misses in ${(r.phases.load.elapsedMs / 1000).toFixed(1)} s, ` +
        `warm ${fmtInt(r.phases.warm.ops)} hits in ${(r.phases.warm.elapsedMs / 1000).toFixed(1)} s, measured ${fmtInt(r.hits)} hits in ` +
        `${(r.phases.measured.elapsedMs / 1000).toFixed(1)} s; RSS at start-up ${mb(r.memory.start.rss)}; worker total ${(r.elapsedMs / 1000).toFixed(1)} s.` +
        (r.store.startsWith('redis') && redisInfo
          ? ` Redis after the run: ${fmtInt(redisInfo.keys)} keys, used_memory ${mb(redisInfo.usedMemory)}, ${fmtInt(redisInfo.commands)} commands processed.`
          : ''),
    ),
    ...(notes.length ? ['', 'Notes:', '', ...notes.map((n) => `- ${n}`)] : []),
    '',
    `Total soak time: ${elapsedS.toFixed(0)} s.`,
    '',
  ].join('\n');

  console.log('');
  console.log(md);
  await mkdir(join(here, 'results'), { recursive: true });
  const out = process.env.SOAK_OUT ?? 'soak-latest';
  await writeFile(join(here, 'results', `${out}.md`), md);
  await writeFile(
    join(here, 'results', `${out}.json`),
    JSON.stringify(
      {
        date: new Date().toISOString(),
        node: process.version,
        library,
        loadAverage1m: { before: loadBefore, after: loadAfter },
        results,
        redis: redisInfo,
        notes,
      },
      null,
      2,
    ) + '\n',
  );
  console.log(`wrote results/${out}.md and results/${out}.json (${elapsedS.toFixed(0)} s)`);
  clearTimeout(watchdog);
  if (!rows.every(({ s }) => s.met)) process.exitCode = 1;
}

main().catch((err) => {
  console.error(err?.stack ?? err);
  process.exitCode = 1;
});

// Side-by-side benchmark of the service-method cache HIT path, each contender in its own process.
//
//   cd bench && npm install && npm run bench
//
// This process is only the orchestrator. It starts ONE private redis-server on a free 127.0.0.1
// port, has every contender write its 1,000 keys (1 KB JSON each) through its own API (one
// "prepare" child process per contender), then runs R rounds. In each round every contender runs
// once, in an order rotated by one per round, as a fresh child process (lib/hit-worker.mjs) that
// connects to that redis, reads the keys once, warms up, measures N hits at concurrency 1 and at
// concurrency 64, prints its figures as one line of JSON and exits. Contenders sharing a process
// would slow each other (GC, JIT, event-loop turns) and compress the ratios.
//
// Per round and concurrency: ratio = contender ops/s ÷ the ceiling's ops/s in the SAME round.
// Reported: the median and the range (min–max) of those per-round ratios, plus median ops/s,
// p50/p99 and CPU per hit. Writes results/<BENCH_OUT>.md and .json (default: latest).
//
// Contenders are the files in contenders/ (lib/hit-contenders.mjs says what a contender is).
//
// Knobs (environment): BENCH_ROUNDS (5), BENCH_OPS_C1 (30000), BENCH_OPS_C64 (50000),
// BENCH_WARMUP_OPS (5000), BENCH_LEVELS (1,64), BENCH_ONLY (comma-separated contender ids or
// name substrings, `=id` for exactly one; the ceiling always runs; names optional contenders too), BENCH_PIN (1: the
// contender on CPU 0, redis-server and this process on CPU 1; 0: let the scheduler place them),
// BENCH_OUT (latest), BENCH_CPU_PROFILE_DIR (profile every measured run into that folder),
// BENCH_LIBRARY_DIR + BENCH_LIBRARY_REVISION (measure the build in another checkout).
import { pin } from './lib/child-process.mjs';
import { execFileSync, spawn } from 'node:child_process';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { createClient } from 'redis';

import { startRedisServer } from './lib/redis-process.mjs';
import { median } from './lib/stats.mjs';
import { KEY_COUNT, TARGET_JSON_BYTES } from './lib/workload.mjs';
import { loadContenders } from './lib/hit-contenders.mjs';
import { intFromEnv, parseInfo, libraryRevision } from './lib/bench-env.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const WORKER = join(here, 'lib', 'hit-worker.mjs');

const ROUNDS = intFromEnv('BENCH_ROUNDS', 5);
const WARMUP_OPS = intFromEnv('BENCH_WARMUP_OPS', 5_000);
const OPS = { 1: intFromEnv('BENCH_OPS_C1', 30_000), 64: intFromEnv('BENCH_OPS_C64', 50_000) };
const LEVELS = (process.env.BENCH_LEVELS || '1,64')
  .split(',')
  .map((s) => Number(s.trim()))
  .map((concurrency) => {
    if (!Number.isInteger(concurrency) || concurrency <= 0 || concurrency >= KEY_COUNT) {
      throw new Error(`BENCH_LEVELS: ${concurrency} is not a concurrency between 1 and ${KEY_COUNT - 1}`);
    }
    return { concurrency, ops: OPS[concurrency] ?? intFromEnv(`BENCH_OPS_C${concurrency}`, 20_000) };
  });
const PIN = process.env.BENCH_PIN !== '0';
const OUT = process.env.BENCH_OUT || 'latest';
const CPU_PROFILE_DIR = process.env.BENCH_CPU_PROFILE_DIR ? resolve(process.env.BENCH_CPU_PROFILE_DIR) : undefined;

// A hard upper bound on the whole run, so a wedged contender can never hang a CI job.
const WATCHDOG_MS = 15 * 60 * 1000;
// And on each child: a measuring child takes seconds; minutes means it is stuck.
const CHILD_TIMEOUT_MS = 4 * 60 * 1000;

const fmtInt = (n) => Math.round(n).toLocaleString('en-US');
const fmtUs = (us) => (us >= 100 ? fmtInt(us) : us.toFixed(1));
const fmtR = (x) => x.toFixed(2);
const loads = () => loadavg().map((x) => Number(x.toFixed(2)));

async function pkgVersion(name, fromDir = join(here, 'node_modules')) {
  try {
    return JSON.parse(await readFile(join(fromDir, name, 'package.json'), 'utf8')).version;
  } catch {
    return 'n/a';
  }
}

// The measured build of the library: the repository's own dist/ (via "file:..") unless
// BENCH_LIBRARY_DIR names another built checkout (contenders/nestjs-readthrough.mjs).
const LIBRARY_DIR = process.env.BENCH_LIBRARY_DIR ? resolve(process.env.BENCH_LIBRARY_DIR) : join(here, '..');

/** When the library's dist/ was last written (the consumed build), or 'not built'. */
async function distBuiltAt() {
  try {
    return (await stat(join(LIBRARY_DIR, 'dist', 'esm', 'index.js'))).mtime.toISOString();
  } catch {
    return 'not built';
  }
}

async function versions(redisVersion) {
  const nm = join(here, 'node_modules');
  const [redis, redisClient, nestCore, nestCm, cm, keyv, keyvRedis, keyvRedisClient, bento, ioredis, lib] =
    await Promise.all([
      pkgVersion('redis'),
      pkgVersion('@redis/client', join(nm, 'redis', 'node_modules')),
      pkgVersion('@nestjs/core'),
      pkgVersion('@nestjs/cache-manager'),
      pkgVersion('cache-manager'),
      pkgVersion('keyv'),
      pkgVersion('@keyv/redis'),
      pkgVersion('@redis/client'),
      pkgVersion('bentocache'),
      pkgVersion('ioredis'),
      process.env.BENCH_LIBRARY_DIR ? pkgVersion('.', LIBRARY_DIR) : pkgVersion('nestjs-readthrough'),
    ]);
  let head = 'unknown';
  try {
    head = execFileSync('git', ['-C', join(here, '..'), 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    /* not a git checkout */
  }
  // A separate build (e.g. from `git archive <commit>`) has no git metadata: its commit is told.
  const revision = process.env.BENCH_LIBRARY_DIR
    ? `${process.env.BENCH_LIBRARY_REVISION ?? 'unknown revision'} (built in ${LIBRARY_DIR})`
    : libraryRevision();
  const distBuilt = await distBuiltAt();
  const cpu = cpus();
  return {
    node: process.version,
    redisServer: redisVersion,
    cpu: `${cpu.length} × ${cpu[0]?.model?.trim() ?? 'unknown'}`,
    library: { version: lib, revision, head, dir: LIBRARY_DIR, distBuilt },
    packages: {
      redis: `${redis} (@redis/client ${redisClient})`,
      '@nestjs/core': nestCore,
      '@nestjs/cache-manager': nestCm,
      'cache-manager': cm,
      keyv,
      '@keyv/redis': `${keyvRedis} (@redis/client ${keyvRedisClient})`,
      bentocache: `${bento} (ioredis ${ioredis})`,
      'nestjs-readthrough': lib,
    },
  };
}

/** Children alive right now, so that any way out of this process takes them along (by pid). */
const liveChildren = new Set();
process.on('exit', () => {
  for (const child of liveChildren) {
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
});

/**
 * Runs one worker child to its end and returns its JSON result. Rejects when it exits non-zero,
 * prints no result, or outlives CHILD_TIMEOUT_MS (then it is killed, by its pid).
 */
function runWorker(contender, url, mode, config) {
  const args = ['--expose-gc', WORKER, contender.id, url, mode, JSON.stringify(config)];
  // taskset execs node in place, so the child's pid is node's.
  const [cmd, argv] = PIN ? ['taskset', ['-c', '0', process.execPath, ...args]] : [process.execPath, args];
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, argv, { cwd: here, stdio: ['ignore', 'pipe', 'inherit'] });
    liveChildren.add(child);
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => (out += chunk));
    const timer = setTimeout(() => {
      console.error(
        `bench: ${contender.id} (${mode}, pid ${child.pid}) still running after ${CHILD_TIMEOUT_MS / 1000} s, killing it`,
      );
      child.kill('SIGKILL');
    }, CHILD_TIMEOUT_MS);
    child.once('error', (err) => {
      clearTimeout(timer);
      liveChildren.delete(child);
      reject(err);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      liveChildren.delete(child);
      const lines = out.split('\n').filter((l) => l.trim());
      for (const line of lines.slice(0, -1)) console.error(`[${contender.id} stdout] ${line}`);
      let result;
      try {
        result = JSON.parse(lines.at(-1) ?? '');
      } catch {
        /* no result line */
      }
      if (code === 0 && result && (result.type === 'prepared' || result.type === 'measured')) resolvePromise(result);
      else
        reject(
          new Error(
            `${contender.id} ${mode} child (pid ${child.pid}) exited with code ${code}, signal ${signal}, no result`,
          ),
        );
    });
  });
}

function selectContenders(all) {
  const only = (process.env.BENCH_ONLY ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  // `=id` names one contender exactly; anything else is an id or a name substring.
  const named = (c) =>
    only.some((s) =>
      s.startsWith('=')
        ? c.id.toLowerCase() === s.slice(1)
        : c.id.toLowerCase() === s || c.name.toLowerCase().includes(s),
    );
  return all.filter((c) => c.ceiling || (only.length === 0 ? !c.optional : named(c)));
}

/** Per contender and level: per-round ratios to the ceiling of the same round, and medians. */
function summarise(active, ceiling, runs) {
  const rows = [];
  for (const c of active) {
    for (const [li, level] of LEVELS.entries()) {
      const rounds = [];
      for (let r = 0; r < ROUNDS; r++) {
        const mine = runs.get(c.id)[r]?.points[li];
        const base = runs.get(ceiling.id)[r]?.points[li];
        if (!mine || !base) continue; // this contender's child failed in that round (see the notes)
        rounds.push({
          round: r + 1,
          opsPerSec: mine.opsPerSec,
          ratio: mine.opsPerSec / base.opsPerSec,
          cpuRatio: mine.cpuUsPerOp / base.cpuUsPerOp,
          p50Us: mine.p50Us,
          p99Us: mine.p99Us,
          cpuUsPerOp: mine.cpuUsPerOp,
          redisCommandsPerOp: mine.redisCommandsPerOp,
          redisCpuUsPerOp: mine.redisCpuUsPerOp,
        });
      }
      if (rounds.length === 0) continue;
      const col = (k) => rounds.map((x) => x[k]);
      rows.push({
        id: c.id,
        name: c.name,
        concurrency: level.concurrency,
        rounds: rounds.length,
        ratio: { median: median(col('ratio')), min: Math.min(...col('ratio')), max: Math.max(...col('ratio')) },
        cpuRatio: {
          median: median(col('cpuRatio')),
          min: Math.min(...col('cpuRatio')),
          max: Math.max(...col('cpuRatio')),
        },
        opsPerSec: median(col('opsPerSec')),
        p50Us: median(col('p50Us')),
        p99Us: median(col('p99Us')),
        cpuUsPerOp: median(col('cpuUsPerOp')),
        redisCommandsPerOp: median(col('redisCommandsPerOp')),
        redisCpuUsPerOp: median(col('redisCpuUsPerOp')),
        perRound: rounds,
      });
    }
  }
  return rows;
}

function summaryTable(rows) {
  const lines = [
    '| contender | c | ops/s ÷ ceiling, median | range (min–max) | ops/s, median | p50 µs | p99 µs | CPU µs/hit | CPU/hit ÷ ceiling, median (range) | redis cmd/hit |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const level of LEVELS) {
    for (const r of rows.filter((x) => x.concurrency === level.concurrency)) {
      lines.push(
        `| ${r.name} | ${r.concurrency} | **${fmtR(r.ratio.median)}** | ${fmtR(r.ratio.min)}–${fmtR(r.ratio.max)} | ` +
          `${fmtInt(r.opsPerSec)} | ${fmtUs(r.p50Us)} | ${fmtUs(r.p99Us)} | ${fmtUs(r.cpuUsPerOp)} | ` +
          `${fmtR(r.cpuRatio.median)} (${fmtR(r.cpuRatio.min)}–${fmtR(r.cpuRatio.max)}) | ${r.redisCommandsPerOp.toFixed(2)} |`,
      );
    }
  }
  return lines;
}

function perRoundTable(active, runs, orders) {
  const head = LEVELS.map((l) => `c=${l.concurrency} ops/s | c=${l.concurrency} p99 µs`).join(' | ');
  const lines = [
    `| round | position | contender | ${head} |`,
    `| ---: | ---: | --- | ${LEVELS.map(() => '---: | ---:').join(' | ')} |`,
  ];
  for (let r = 0; r < ROUNDS; r++) {
    orders[r].forEach((id, position) => {
      const c = active.find((x) => x.id === id);
      const run = runs.get(id)[r];
      const cells = LEVELS.map((_, li) =>
        run ? `${fmtInt(run.points[li].opsPerSec)} | ${fmtUs(run.points[li].p99Us)}` : 'failed | –',
      );
      lines.push(`| ${r + 1} | ${position + 1} | ${c.name} | ${cells.join(' | ')} |`);
    });
  }
  return lines;
}

async function main() {
  const t0 = performance.now();
  const watchdog = setTimeout(() => {
    console.error(`bench: still running after ${WATCHDOG_MS / 60000} min, giving up`);
    process.exit(2); // the exit hooks kill the current child and redis-server, by pid
  }, WATCHDOG_MS);
  watchdog.unref();

  const all = await loadContenders();
  const selected = selectContenders(all);
  const ceiling = selected.find((c) => c.ceiling);

  const server = await startRedisServer({
    // Children would otherwise wait or reconnect forever: fail fast and loud instead.
    onUnexpectedExit: (message) => {
      console.error(`bench: ${message}\nbench: aborting, numbers from this run are void`);
      process.exit(1);
    },
  });
  const notes = [];
  let admin;
  try {
    admin = createClient({ url: server.url });
    admin.on('error', (err) => console.error(`[admin] redis error: ${err.message}`));
    await admin.connect();
    const env = await versions(parseInfo(await admin.info('server')).redis_version ?? 'unknown');
    const pinned = PIN && cpus().length >= 2 && pin(process.pid, 1) && pin(server.pid, 1);
    if (PIN && !pinned) console.log('note: could not pin with taskset; placement left to the scheduler');
    const placement = pinned
      ? 'each contender process pinned to CPU 0; redis-server and the orchestrator (idle while a contender runs) to CPU 1'
      : 'not pinned (the scheduler places the contender process and redis-server)';
    const loadBefore = loads();

    console.log(`# nestjs-readthrough bench — service-method cache HIT path, one process per contender\n`);
    console.log(
      `node ${env.node} · redis-server ${env.redisServer} (private, 127.0.0.1:${server.port}, pid ${server.pid}) · ${env.cpu}`,
    );
    console.log(
      `nestjs-readthrough ${env.library.version} at ${env.library.revision} (dist built ${env.library.distBuilt}) · ` +
        Object.entries(env.packages)
          .filter(([k]) => k !== 'nestjs-readthrough')
          .map(([k, v]) => `${k} ${v}`)
          .join(' · '),
    );
    console.log(`placement: ${placement}`);
    if (loadBefore[0] > cpus().length * 0.75) {
      console.log(
        `warning: 1-min load average is ${loadBefore[0]} on ${cpus().length} cores before starting; other work will skew the numbers`,
      );
    }
    console.log(
      `workload: ${KEY_COUNT} warm keys, ${TARGET_JSON_BYTES} B JSON values; ${ROUNDS} rounds; per contender process: ` +
        LEVELS.map((l) => `c=${l.concurrency} ${fmtInt(l.ops)} hits`).join(', ') +
        `, each after a ${fmtInt(WARMUP_OPS)}-hit unreported warm-up\n`,
    );

    const workerConfig = {
      warmupOps: WARMUP_OPS,
      levels: LEVELS,
      ...(CPU_PROFILE_DIR ? { cpuProfileDir: CPU_PROFILE_DIR } : {}),
    };
    // Prepare: each contender writes its 1,000 keys in its own stored format, in its own process.
    const active = [];
    for (const c of selected) {
      if (typeof c.unavailable === 'function') {
        const why = await c.unavailable();
        if (why !== null) {
          const note = `${c.name}: SKIPPED — cannot import it (${why.split('\n')[0]}). Build the library (npm run build at the repo root) and run again.`;
          console.log(`note: ${note}`);
          notes.push(note);
          continue;
        }
      }
      try {
        const p = await runWorker(c, server.url, 'prepare', workerConfig);
        console.log(`prepared: ${c.name.padEnd(36)} wrote ${KEY_COUNT} keys in ${(p.writeAllMs / 1000).toFixed(1)} s`);
        active.push(c);
      } catch (err) {
        if (c.ceiling) throw err;
        const note = `${c.name}: SKIPPED — prepare failed: ${err?.message ?? err}`;
        console.log(`note: ${note}`);
        notes.push(note);
      }
    }
    console.log(`redis holds ${await admin.dbSize()} keys\n`);

    const runs = new Map(active.map((c) => [c.id, []]));
    const orders = [];
    for (let round = 0; round < ROUNDS; round++) {
      // Rotate who goes first, so drift and order effects hit everyone alike.
      const order = active.map((_, k) => active[(k + round) % active.length]);
      orders.push(order.map((c) => c.id));
      for (const c of order) {
        let result;
        try {
          result = await runWorker(c, server.url, 'measure', workerConfig);
        } catch (err) {
          if (c.ceiling)
            throw new Error(`the ceiling failed in round ${round + 1}: ${err?.message ?? err}`, { cause: err });
          const note = `${c.name}: round ${round + 1} failed (${err?.message ?? err}); its ratios use the other rounds.`;
          console.log(`warning: ${note}`);
          notes.push(note);
          continue;
        }
        runs.get(c.id)[round] = result;
        const cells = result.points.map(
          (p) =>
            `c=${String(p.concurrency).padStart(2)} ${fmtInt(p.opsPerSec).padStart(7)} ops/s p50 ${fmtUs(p.p50Us).padStart(5)} ` +
            `p99 ${fmtUs(p.p99Us).padStart(5)} µs ${fmtUs(p.cpuUsPerOp).padStart(4)} µs CPU ${p.redisCommandsPerOp.toFixed(2)} cmd`,
        );
        console.log(`  round ${round + 1}/${ROUNDS}  ${c.name.padEnd(36)} ${cells.join('  |  ')}`);
        if (result.measuredMisses !== 0) {
          const note = `${c.name}: ${result.measuredMisses} measured operations in round ${round + 1} were MISSES (factory ran); its numbers are not pure hits.`;
          console.log(`warning: ${note}`);
          notes.push(note);
        }
        for (const p of result.points) {
          if (!c.localCache && p.redisCommandsPerOp < 0.99) {
            const note = `${c.name}: only ${p.redisCommandsPerOp.toFixed(2)} redis commands per hit at c=${p.concurrency} in round ${round + 1}: some hits never reached redis.`;
            console.log(`warning: ${note}`);
            notes.push(note);
          }
        }
      }
    }

    const rows = summarise(active, ceiling, runs);
    // Others may rebuild the library while this runs (the build starts with rm -rf dist).
    const distNow = await distBuiltAt();
    if (distNow !== env.library.distBuilt) {
      const note = `the library's dist/ was rebuilt during the run (${env.library.distBuilt} → ${distNow}): the nestjs-readthrough rounds may mix two builds.`;
      console.log(`warning: ${note}`);
      notes.push(note);
    }
    const loadAfter = loads();
    if (loadAfter[0] > cpus().length * 1.5) {
      // The bench itself keeps ~2 cores busy at c=64 (node + redis-server); much more means someone else ran too.
      const note = `1-min load average was ${loadBefore[0]} before and ${loadAfter[0]} after the run on ${cpus().length} cores: other processes competed for CPU, treat these numbers as noisy.`;
      console.log(`warning: ${note}`);
      notes.push(note);
    }
    const elapsedS = (performance.now() - t0) / 1000;
    const date = new Date().toISOString();
    const connectionsOf = (id) =>
      median(
        runs
          .get(id)
          .filter(Boolean)
          .map((r) => r.connections),
      );
    const md = [
      '# Service-method cache HIT path (one process per contender)',
      '',
      `nestjs-readthrough ${env.library.version} at ${env.library.revision} (dist built ${env.library.distBuilt}) · bench at ${env.library.head.slice(0, 7)} · ` +
        `${date.slice(0, 16).replace('T', ' ')} UTC`,
      '',
      `node ${env.node} · redis-server ${env.redisServer} on 127.0.0.1 (private instance, persistence off) · ${env.cpu} · ` +
        `load average (1, 5, 15 min) ${loadBefore.join(' / ')} before → ${loadAfter.join(' / ')} after · placement: ${placement}`,
      '',
      `Packages: ${Object.entries(env.packages)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}.`,
      '',
      `Workload: ${KEY_COUNT} warm keys, ${TARGET_JSON_BYTES} B JSON objects, every op a hit that ends in a parsed object; ` +
        `op i reads key i mod ${KEY_COUNT}. ${ROUNDS} rounds; in each, every contender runs once in its own fresh process ` +
        `(order rotated by one per round) and measures ${LEVELS.map((l) => `${fmtInt(l.ops)} hits at c=${l.concurrency}`).join(' and ')}, ` +
        `each after a ${fmtInt(WARMUP_OPS)}-hit unreported warm-up. Ceiling = ${ceiling.name}. ` +
        `**ops/s ÷ ceiling** is computed per round (the contender's run ÷ the ceiling's run of the same round); ` +
        `the table gives the median and the range of those ${ROUNDS} ratios. ops/s, p50, p99 and CPU/hit are medians over the rounds; ` +
        `CPU/hit is the contender process's own user + system time ÷ hits.`,
      '',
      ...summaryTable(rows),
      '',
      'Every round (position = place in that round’s order):',
      '',
      ...perRoundTable(active, runs, orders),
      '',
      'How each contender reads:',
      '',
      ...active.map(
        (c) =>
          `- **${c.name}** (\`${c.id}\`, contenders/${c.file}): ${c.note ?? ''} (${connectionsOf(c.id)} redis connection${connectionsOf(c.id) === 1 ? '' : 's'})`,
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
          date,
          env,
          placement,
          loadAverage: { before: loadBefore, after: loadAfter },
          rounds: ROUNDS,
          warmupOps: WARMUP_OPS,
          levels: LEVELS,
          contenders: active.map(({ id, name, order, note, ceiling: isCeiling, localCache, file }) => ({
            id,
            name,
            order,
            ceiling: !!isCeiling,
            localCache: !!localCache,
            file,
            note,
          })),
          orders,
          summary: rows,
          runs: Object.fromEntries(runs),
          notes,
          elapsedS,
        },
        null,
        2,
      ) + '\n',
    );
    console.log(`wrote results/${OUT}.md and results/${OUT}.json (${elapsedS.toFixed(0)} s)`);
  } finally {
    if (admin?.isOpen) await admin.close();
    await server.stop();
    clearTimeout(watchdog);
  }
  // lib/redis-process.mjs's stop() may leave a 5 s timer pending; nothing else should remain.
  setTimeout(() => process.exit(process.exitCode ?? 0), 6000).unref();
}

main().catch((err) => {
  console.error(err?.stack ?? err);
  process.exitCode = 1;
});

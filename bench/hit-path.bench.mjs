// Side-by-side benchmark of the service-method cache HIT path.
//
//   cd bench && npm install && npm run bench
//
// Starts a private redis-server on a free 127.0.0.1 port, warms 1,000 keys (1 KB JSON each) per
// contender through the contender's own API, then measures a fixed number of hits at
// concurrency 1 and 64, three runs per contender interleaved round-robin, and reports the median
// run. Writes the tables to results/latest.md (and the raw runs to results/latest.json).
//
// Knobs (environment): BENCH_OPS_C1, BENCH_OPS_C64, BENCH_WARMUP_OPS, BENCH_ROUNDS,
// BENCH_ONLY (comma-separated substrings of contender names; the ceiling is always kept).
import 'reflect-metadata';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { createClient } from 'redis';

import { startRedisServer } from './lib/redis-process.mjs';
import { measure } from './lib/runner.mjs';
import { median } from './lib/stats.mjs';
import { KEY_COUNT, TARGET_JSON_BYTES } from './lib/workload.mjs';
import { rawTimeout0, rawDefaults } from './contenders/raw-node-redis.mjs';
import { nestCacheManager } from './contenders/nest-cache-manager.mjs';
import { bentocache } from './contenders/bentocache.mjs';
import { nestjsReadthrough } from './contenders/nestjs-readthrough.mjs';
import { intFromEnv, parseInfo } from './lib/bench-env.mjs';

const here = dirname(fileURLToPath(import.meta.url));

const ROUNDS = intFromEnv('BENCH_ROUNDS', 3);
const WARMUP_OPS = intFromEnv('BENCH_WARMUP_OPS', 10_000);
const LEVELS = [
  { concurrency: 1, ops: intFromEnv('BENCH_OPS_C1', 40_000) },
  { concurrency: 64, ops: intFromEnv('BENCH_OPS_C64', 150_000) },
];
const ALL_CONTENDERS = [rawTimeout0, rawDefaults, nestCacheManager, bentocache, nestjsReadthrough];
const CEILING = rawTimeout0;

// A hard upper bound on the whole run, so a wedged contender can never hang a CI job.
const WATCHDOG_MS = 15 * 60 * 1000;

const fmtInt = (n) => Math.round(n).toLocaleString('en-US');
const fmtUs = (us) => (us >= 100 ? fmtInt(us) : us.toFixed(1));
const fmtPct = (x) => `${(x * 100).toFixed(1)}%`;
const fmtX = (x) => `${x.toFixed(2)}×`;

async function pkgVersion(name, fromDir = join(here, 'node_modules')) {
  try {
    const json = JSON.parse(await readFile(join(fromDir, name, 'package.json'), 'utf8'));
    return json.version;
  } catch {
    return 'n/a';
  }
}

async function versions(redisInfo) {
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
      pkgVersion('nestjs-readthrough'),
    ]);
  const cpu = cpus();
  return {
    node: process.version,
    redisServer: redisInfo.redis_version ?? 'unknown',
    cpu: `${cpu.length} × ${cpu[0]?.model?.trim() ?? 'unknown'}`,
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

async function commandsProcessed(admin) {
  return Number(parseInfo(await admin.info('stats')).total_commands_processed);
}

async function connectedClients(admin) {
  return Number(parseInfo(await admin.info('clients')).connected_clients);
}

function table(level, rows) {
  const ceiling = rows.find((r) => r.name === CEILING.name);
  const lines = [
    `### Concurrency ${level.concurrency} — ${fmtInt(level.ops)} hits per run, median of ${ROUNDS} runs`,
    '',
    '| contender | ops/s | p50 µs | p99 µs | ops/s vs ceiling | p50 vs ceiling |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.name} | ${fmtInt(r.opsPerSec)} | ${fmtUs(r.p50Us)} | ${fmtUs(r.p99Us)} | ` +
        `${fmtPct(r.opsPerSec / ceiling.opsPerSec)} | ${fmtX(r.p50Us / ceiling.p50Us)} |`,
    );
  }
  return lines.join('\n');
}

async function main() {
  const t0 = performance.now();
  const watchdog = setTimeout(() => {
    console.error(`bench: still running after ${WATCHDOG_MS / 60000} min, giving up`);
    process.exit(2);
  }, WATCHDOG_MS);
  watchdog.unref();

  const only = (process.env.BENCH_ONLY ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  const selected = ALL_CONTENDERS.filter(
    (c) => c === CEILING || only.length === 0 || only.some((s) => c.name.toLowerCase().includes(s)),
  );

  const server = await startRedisServer({
    // Clients would otherwise wait or reconnect forever: fail fast and loud instead.
    onUnexpectedExit: (message) => {
      console.error(`bench: ${message}\nbench: aborting, numbers from this run are void`);
      process.exit(1);
    },
  });
  const notes = [];
  const active = []; // { contender, handle }
  let admin;
  try {
    admin = createClient({ url: server.url });
    admin.on('error', (err) => console.error(`[admin] redis error: ${err.message}`));
    await admin.connect();
    const info = parseInfo(await admin.info('server'));
    const env = await versions(info);

    console.log(`# nestjs-readthrough bench — service-method cache HIT path\n`);
    console.log(
      `node ${env.node} · redis-server ${env.redisServer} (private, 127.0.0.1:${server.port}, pid ${server.pid}) · ${env.cpu}`,
    );
    console.log(
      Object.entries(env.packages)
        .map(([k, v]) => `${k} ${v}`)
        .join(' · '),
    );
    const loadBefore = loadavg()[0];
    if (loadBefore > cpus().length * 0.75) {
      console.log(
        `warning: 1-min load average is ${loadBefore.toFixed(2)} on ${cpus().length} cores before starting; other work will skew the numbers`,
      );
    }
    console.log(
      `workload: ${KEY_COUNT} warm keys, ${TARGET_JSON_BYTES} B JSON values, ${ROUNDS} interleaved runs per contender per level, ${fmtInt(WARMUP_OPS)}-op unreported warm-up\n`,
    );

    for (const contender of selected) {
      if (typeof contender.unavailable === 'function') {
        const why = await contender.unavailable();
        if (why !== null) {
          const note = `${contender.name}: SKIPPED — cannot import it (${why.split('\n')[0]}). Build the library (npm run build at the repo root) and run again.`;
          console.log(`note: ${note}`);
          notes.push(note);
          continue;
        }
      }
      const started = performance.now();
      try {
        const clientsBefore = await connectedClients(admin);
        const handle = await contender.setup({ url: server.url, host: server.host, port: server.port });
        const connections = (await connectedClients(admin)) - clientsBefore;
        active.push({ contender, handle, connections });
        console.log(
          `ready: ${contender.name} (warmed ${KEY_COUNT} keys in ${((performance.now() - started) / 1000).toFixed(1)} s, ` +
            `${connections} redis connection${connections === 1 ? '' : 's'} open)`,
        );
      } catch (err) {
        if (contender === CEILING) throw err;
        const note = `${contender.name}: SKIPPED — setup failed: ${err?.message ?? err}`;
        console.error(err?.stack ?? err);
        console.log(`note: ${note}`);
        notes.push(note);
      }
    }
    console.log(`redis holds ${await admin.dbSize()} keys\n`);

    const latencies = new Float64Array(Math.max(WARMUP_OPS, ...LEVELS.map((l) => l.ops)));
    const results = []; // { level, rows, runs }
    for (const level of LEVELS) {
      for (const { handle } of active) {
        await measure(handle.get, { ops: WARMUP_OPS, concurrency: level.concurrency, latencies });
      }
      const runs = new Map(active.map(({ contender }) => [contender.name, []]));
      for (let round = 0; round < ROUNDS; round++) {
        // Round-robin, rotating who goes first, so drift and order effects hit everyone alike.
        for (let k = 0; k < active.length; k++) {
          const { contender, handle } = active[(k + round) % active.length];
          const cmdsBefore = await commandsProcessed(admin);
          const s = await measure(handle.get, { ops: level.ops, concurrency: level.concurrency, latencies });
          // -1: the INFO call that took the "before" reading is counted in the "after" one.
          s.redisCommandsPerOp = ((await commandsProcessed(admin)) - cmdsBefore - 1) / level.ops;
          runs.get(contender.name).push(s);
          console.log(
            `  c=${String(level.concurrency).padStart(2)} run ${round + 1}/${ROUNDS}  ${contender.name.padEnd(38)} ` +
              `${fmtInt(s.opsPerSec).padStart(8)} ops/s  p50 ${fmtUs(s.p50Us).padStart(6)} µs  p99 ${fmtUs(s.p99Us).padStart(6)} µs  ` +
              `${s.redisCommandsPerOp.toFixed(2)} redis cmd/op`,
          );
        }
      }
      const rows = active.map(({ contender }) => {
        const rs = runs.get(contender.name);
        return {
          name: contender.name,
          opsPerSec: median(rs.map((r) => r.opsPerSec)),
          p50Us: median(rs.map((r) => r.p50Us)),
          p99Us: median(rs.map((r) => r.p99Us)),
          runs: rs,
        };
      });
      results.push({ level, rows });
      console.log('');
    }

    for (const { level, rows } of results) {
      for (const row of rows) {
        const fewest = Math.min(...row.runs.map((r) => r.redisCommandsPerOp));
        if (fewest < 0.99) {
          const note = `${row.name}: only ${fewest.toFixed(2)} redis commands per hit at concurrency ${level.concurrency} — some hits never reached redis (local cache or batching), so this is not a like-for-like redis round trip.`;
          console.log(`warning: ${note}`);
          notes.push(note);
        }
      }
    }
    for (const { contender, handle } of active) {
      const misses = handle.misses();
      if (misses !== 0) {
        const note = `${contender.name}: ${misses} measured operations were MISSES (factory ran) — its numbers are not pure hits.`;
        console.log(`warning: ${note}`);
        notes.push(note);
      }
    }

    const clientsAtEnd = (await connectedClients(admin)) - 1; // minus the admin connection
    const clientsAfterWarmup = active.reduce((n, a) => n + a.connections, 0);
    console.log(
      `redis connections: ${clientsAfterWarmup} after warm-up, ${clientsAtEnd} after the measurements (all contenders, admin excluded)`,
    );
    const loadAfter = loadavg()[0];
    if (loadAfter > cpus().length * 1.5) {
      // The bench itself keeps ~2 cores busy (node + redis-server); much more means someone else ran too.
      const note = `1-min load average was ${loadBefore.toFixed(2)} before and ${loadAfter.toFixed(2)} after the run on ${cpus().length} cores: other processes competed for CPU, treat these numbers as noisy.`;
      console.log(`warning: ${note}`);
      notes.push(note);
    }
    const elapsedS = (performance.now() - t0) / 1000;
    const conn = (c) => ` (${c} redis connection${c === 1 ? '' : 's'} after warm-up)`;
    const methodNotes = active
      .filter(({ contender }) => contender.note)
      .map(({ contender, connections }) => `- **${contender.name}**: ${contender.note}${conn(connections)}`);
    const connectionsOf = (c) => active.find((a) => a.contender === c)?.connections ?? 0;
    const md = [
      '# Service-method cache HIT path',
      '',
      `node ${env.node} · redis-server ${env.redisServer} on 127.0.0.1 (private instance, persistence off) · ${env.cpu} · ` +
        `load average ${loadBefore.toFixed(2)} → ${loadAfter.toFixed(2)} · ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`,
      '',
      `Packages: ${Object.entries(env.packages)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}.`,
      '',
      `Workload: ${KEY_COUNT} warm keys, ${TARGET_JSON_BYTES} B JSON objects, every op a hit that ends in a parsed object. ` +
        `Ceiling = ${CEILING.name}. Medians of ${ROUNDS} interleaved runs; ratios use the ceiling's medians.`,
      '',
      ...results.map(({ level, rows }) => `${table(level, rows)}\n`),
      'How each contender reads:',
      '',
      `- **${rawTimeout0.name}**: \`createClient({ url, commandOptions: { timeout: 0 } })\`, GET + JSON.parse${conn(connectionsOf(rawTimeout0))}`,
      `- **${rawDefaults.name}**: \`createClient({ url })\`, GET + JSON.parse${conn(connectionsOf(rawDefaults))}`,
      ...methodNotes,
      ...(notes.length ? ['', 'Notes:', '', ...notes.map((n) => `- ${n}`)] : []),
      '',
      `Redis connections held by all contenders together: ${clientsAfterWarmup} after warm-up, ${clientsAtEnd} after the measurements.`,
      '',
      `Total bench time: ${elapsedS.toFixed(0)} s.`,
      '',
    ].join('\n');

    console.log(md);
    await mkdir(join(here, 'results'), { recursive: true });
    await writeFile(join(here, 'results', 'latest.md'), md);
    await writeFile(
      join(here, 'results', 'latest.json'),
      JSON.stringify(
        {
          date: new Date().toISOString(),
          env,
          loadAverage1m: { before: loadBefore, after: loadAfter },
          rounds: ROUNDS,
          warmupOps: WARMUP_OPS,
          results,
          connections: Object.fromEntries(active.map((a) => [a.contender.name, a.connections])),
          notes,
        },
        null,
        2,
      ) + '\n',
    );
    console.log(`wrote results/latest.md and results/latest.json (${elapsedS.toFixed(0)} s)`);
  } finally {
    for (const { contender, handle } of active.reverse()) {
      try {
        await handle.close();
      } catch (err) {
        console.error(`close ${contender.name}: ${err?.message ?? err}`);
      }
    }
    if (admin?.isOpen) await admin.close();
    await server.stop();
  }

  // Everything is closed, so the event loop should drain on its own. If some library still
  // holds a handle, say so instead of hanging, and exit anyway.
  setTimeout(() => {
    console.error('bench: an open handle kept the process alive after every client was closed; exiting');
    process.exit(0);
  }, 5000).unref();
}

main().catch((err) => {
  console.error(err?.stack ?? err);
  process.exitCode = 1;
});

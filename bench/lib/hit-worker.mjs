// One contender of the hit-path bench, alone in its own process:
//
//   node --expose-gc lib/hit-worker.mjs <contender-id> <redis-url> prepare|measure '<json config>'
//
// started by hit-path.bench.mjs, never on its own (it needs the parent's private redis-server).
//
// prepare: reads the 1,000 keys once through the contender's API; every read must be a miss
//          (the factory writes the contender's own stored format), then a second read must be a
//          hit with the same value. Prints { type: 'prepared', ... }.
// measure: reads the 1,000 keys once (every read must be a hit: an L1 tier fills here), then for
//          each level { concurrency, ops }: an unreported warm-up of `warmupOps` hits, then `ops`
//          measured hits (lib/runner.mjs). Prints { type: 'measured', points: [...] } with ops/s,
//          p50/p99 latency, this process's CPU time per hit, and redis's commands and CPU per hit
//          (INFO taken on a separate connection outside the timed window).
// The result is ONE line of JSON on stdout; everything else goes to stderr. Exit code 0 on
// success, 1 on any error (the message is on stderr).
//
// config: { warmupOps, levels: [{ concurrency, ops }], cpuProfileDir? }. With cpuProfileDir,
// each measured run (not the warm-up) is profiled with the V8 sampling profiler (the same one as
// `node --cpu-prof`) and written to <cpuProfileDir>/<id>-c<concurrency>.cpuprofile.
import 'reflect-metadata';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createClient } from 'redis';

import { findContender } from './hit-contenders.mjs';
import { measure } from './runner.mjs';
import { KEY_COUNT, makeValue, sameValue } from './workload.mjs';
import { parseInfo } from './bench-env.mjs';

const [id, url, mode, configJson = '{}'] = process.argv.slice(2);
if (!id || !url || (mode !== 'prepare' && mode !== 'measure')) {
  console.error("usage: node --expose-gc lib/hit-worker.mjs <contender-id> <redis-url> prepare|measure '<json>'");
  process.exit(2);
}
const config = JSON.parse(configJson);

async function redisCounters(admin) {
  const info = parseInfo(await admin.info());
  return {
    commands: Number(info.total_commands_processed),
    cpuS: Number(info.used_cpu_user) + Number(info.used_cpu_sys),
    clients: Number(info.connected_clients),
  };
}

async function startProfiler() {
  const { Session } = await import('node:inspector/promises');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: config.cpuProfileIntervalUs ?? 500 });
  await session.post('Profiler.start');
  return async (file) => {
    const { profile } = await session.post('Profiler.stop');
    session.disconnect();
    await mkdir(config.cpuProfileDir, { recursive: true });
    await writeFile(file, JSON.stringify(profile));
  };
}

async function main() {
  const contender = await findContender(id);
  const { hostname: host, port } = new URL(url);
  const admin = createClient({ url });
  admin.on('error', (err) => console.error(`[${id} admin] redis error: ${err.message}`));
  await admin.connect();
  let handle;
  try {
    const clientsBefore = (await redisCounters(admin)).clients;
    const t0 = performance.now();
    handle = await contender.setup({ url, host, port: Number(port) });
    const setupMs = performance.now() - t0;

    const t1 = performance.now();
    for (let k = 0; k < KEY_COUNT; k++) {
      const value = await handle.get(k);
      if (value?.id !== k) throw new Error(`${id}: key ${k} read back ${JSON.stringify(value)?.slice(0, 80)}`);
    }
    const readAllMs = performance.now() - t1;
    const firstPassMisses = handle.misses();

    if (mode === 'prepare') {
      if (firstPassMisses !== KEY_COUNT) {
        throw new Error(`${id}: preparing ran the factory ${firstPassMisses} times for ${KEY_COUNT} fresh keys`);
      }
      if (!sameValue(await handle.get(42), makeValue(42))) throw new Error(`${id}: round trip changed the value`);
      if (handle.misses() !== KEY_COUNT) throw new Error(`${id}: a second read of a warm key ran the factory again`);
      return { type: 'prepared', id, pid: process.pid, setupMs, writeAllMs: readAllMs };
    }

    if (firstPassMisses !== 0) {
      throw new Error(
        `${id}: ${firstPassMisses} of ${KEY_COUNT} keys were not warm (the prepare step should have written them)`,
      );
    }
    const connections = (await redisCounters(admin)).clients - clientsBefore;
    const latencies = new Float64Array(Math.max(config.warmupOps, ...config.levels.map((l) => l.ops)));
    const points = [];
    for (const { concurrency, ops } of config.levels) {
      await measure(handle.get, { ops: config.warmupOps, concurrency, latencies });
      const stopProfiler = config.cpuProfileDir ? await startProfiler() : null;
      const before = await redisCounters(admin);
      const s = await measure(handle.get, { ops, concurrency, latencies });
      const after = await redisCounters(admin);
      if (stopProfiler) await stopProfiler(join(config.cpuProfileDir, `${id}-c${concurrency}.cpuprofile`));
      points.push({
        concurrency,
        ...s,
        cpuUsPerOp: (s.userUs + s.systemUs) / ops,
        // -1: the INFO that took the "before" reading is counted in the "after" one.
        redisCommandsPerOp: (after.commands - before.commands - 1) / ops,
        redisCpuUsPerOp: ((after.cpuS - before.cpuS) * 1e6) / ops,
      });
    }
    const measuredMisses = handle.misses() - firstPassMisses;
    return {
      type: 'measured',
      id,
      pid: process.pid,
      setupMs,
      readAllMs,
      connections,
      measuredMisses,
      rss: process.memoryUsage.rss(),
      points,
    };
  } finally {
    try {
      if (handle) await handle.close();
    } finally {
      if (admin.isOpen) await admin.close();
    }
  }
}

main().then(
  (result) => {
    process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(0));
    // Some library may keep a handle open after close(): the result is out, so leave anyway.
  },
  (err) => {
    console.error(`[${id}] ${err?.stack ?? err}`);
    process.exit(1);
  },
);

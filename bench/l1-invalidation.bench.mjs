// L1 invalidation latency (issue 13): how soon after a write is acknowledged does another
// process that holds the key in its L1 serve the new value?
//
//   cd bench && npm run bench:l1-invalidation
//
// One private redis-server (free 127.0.0.1 port, persistence off, stopped by its pid), and two
// child processes of l1/invalidation-worker.mjs on the library, both with `l1: true` and one
// prefix: B (reader) polls its @ReadThrough method for one key in a tight loop, yielding with
// setImmediate after every call, and reports the moment it first returns each new value; A
// (writer) writes. Two variants, each with its own key and BENCH_L1_WRITES measured writes
// after BENCH_L1_WARMUP unreported ones:
//   - set: A's RedisCacheService.set('item:<id>', { id, v }) of a new version v;
//   - del: this process, over a plain node-redis client, SETs the database key db:<id> to v and
//          DELs the cache entry; B's next read misses and its loader reads v from the database.
// For each write: latency = B's first sighting of v − the write's acknowledgement (A got the
// reply to set(); here, the reply to DEL); and the moment B's L1 dropped the old entry on the
// push (its `l1-invalidation` event) − the acknowledgement: from then on B no longer serves the
// old value, which is what the target is about (after a DEL, B's next call still has to miss,
// load and write before it can show the new value: that is the first figure, given beside it). Also given: from the start of the write call. All
// times come from one clock (performance.timeOrigin + now(), epoch ms) passed as JSON lines.
// Writes are one at a time: the next one starts a random 2–8 ms after B saw the previous one,
// and B must have served L1 hits in between (its l1Hits grew), or the write is flagged.
// Target: p99 ≤ 5 ms on loopback. Writes results/l1-invalidation-latest.md and .json.
//
// Knobs: BENCH_L1_WRITES (300), BENCH_L1_WARMUP (20), BENCH_PIN (1: B on CPU 0, A, redis-server
// and this process on CPU 1), BENCH_LIBRARY_DIR / BENCH_LIBRARY_REVISION (as for bench).
import { pin } from './lib/child-process.mjs';
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient } from 'redis';

import { startRedisServer } from './lib/redis-process.mjs';
import { intFromEnv, libraryRevision, parseInfo } from './lib/bench-env.mjs';
import { percentile } from './lib/stats.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const WRITES = intFromEnv('BENCH_L1_WRITES', 300);
const WARMUP = intFromEnv('BENCH_L1_WARMUP', 20);
const PIN = process.env.BENCH_PIN !== '0' && cpus().length >= 2;
const TARGET_P99_MS = 5;
const SEEN_TIMEOUT_MS = 2_000;
const WATCHDOG_MS = 5 * 60 * 1000;
const PREFIX = 'bench-l1inv';
const LIBRARY = process.env.BENCH_LIBRARY_REVISION
  ? `${process.env.BENCH_LIBRARY_REVISION} (built in ${process.env.BENCH_LIBRARY_DIR})`
  : libraryRevision();
const now = () => performance.timeOrigin + performance.now();

/** Starts a worker; `next(event, pred)` resolves with its next matching JSON line. */
function startWorker(role, url) {
  const child = spawn(process.execPath, [join(here, 'l1', 'invalidation-worker.mjs'), role, url, PREFIX], {
    cwd: here,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const waiting = [];
  const backlog = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (!line.trim()) return;
    const msg = JSON.parse(line);
    const i = waiting.findIndex((w) => w.pred(msg));
    if (i >= 0) waiting.splice(i, 1)[0].resolve(msg);
    else backlog.push(msg);
  });
  const exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  exited.then((code) => {
    for (const w of waiting.splice(0)) w.reject(new Error(`${role} exited (code ${code})`));
  });
  const killOnExit = () => child.kill('SIGKILL'); // our own child, by its pid
  process.once('exit', killOnExit);
  return {
    child,
    role,
    send: (line) => child.stdin.write(`${line}\n`),
    next(pred, timeoutMs = 10_000) {
      const i = backlog.findIndex(pred);
      if (i >= 0) return Promise.resolve(backlog.splice(i, 1)[0]);
      return new Promise((resolve, reject) => {
        const entry = { pred, resolve, reject };
        const timer = setTimeout(() => {
          waiting.splice(waiting.indexOf(entry), 1);
          reject(new Error(`${role}: no matching line within ${timeoutMs} ms`));
        }, timeoutMs);
        entry.resolve = (msg) => {
          clearTimeout(timer);
          resolve(msg);
        };
        waiting.push(entry);
      });
    },
    async stop() {
      process.removeListener('exit', killOnExit);
      if (child.exitCode === null) child.stdin.end('stop\n');
      const code = await Promise.race([exited, sleep(5_000, 'timeout')]);
      if (code === 'timeout') child.kill('SIGKILL');
    },
  };
}

const fmt = (ms) => (ms < 10 ? ms.toFixed(2) : ms.toFixed(1));

function summarise(samples, key) {
  const sorted = Float64Array.from(samples.map((s) => s[key])).sort();
  return {
    n: sorted.length,
    min: sorted[0],
    p50: percentile(sorted, 0.5),
    p90: percentile(sorted, 0.9),
    p99: percentile(sorted, 0.99),
    max: sorted[sorted.length - 1],
  };
}

async function runVariant(name, id, reader, write) {
  reader.send(`poll ${id}`);
  let seen = await reader.next((m) => m.event === 'seen' && m.v === 0);
  const samples = [];
  const flagged = [];
  for (let i = 1; i <= WARMUP + WRITES; i++) {
    await sleep(2 + Math.random() * 6);
    const hitsBefore = seen.l1Hits;
    const w = await write(i);
    const s = await reader.next((m) => m.event === 'seen' && m.v >= i, SEEN_TIMEOUT_MS);
    if (s.v !== i) throw new Error(`${name}: reader jumped from ${seen.v} to ${s.v} on write ${i}`);
    // Between the previous sighting and this write the reader must have been answered from L1
    // (l1Hits grew: the key was held), so the write really had to reach it by a push.
    const l1Served = (w.l1HitsAtWrite ?? s.l1Hits) > hitsBefore;
    if (i > WARMUP) {
      const sample = {
        v: i,
        startAt: w.startAt,
        ackAt: w.ackAt,
        seenAt: s.at,
        fromAckMs: s.at - w.ackAt,
        fromStartMs: s.at - w.startAt,
        writeMs: w.ackAt - w.startAt,
        // The call that returned v: an L2 read (set) or a miss + load + write (del).
        callMs: s.callMs,
        beforeCallMs: s.at - s.callMs - w.ackAt,
        // B's L1 let go of the old entry (the push arrived); may be negative (the push can reach B before the ack reaches A).
        droppedMs: s.droppedAt - w.ackAt,
        l1HitsBetween: s.l1Hits - hitsBefore,
      };
      samples.push(sample);
      // A drop older than the write belongs to an earlier write: this one never reached B's L1 by a push.
      if (!l1Served || sample.l1HitsBetween < 2 || !(s.droppedAt >= w.startAt)) flagged.push(i);
    }
    seen = s;
  }
  return {
    name,
    samples,
    flagged,
    fromAck: summarise(samples, 'fromAckMs'),
    fromStart: summarise(samples, 'fromStartMs'),
    write: summarise(samples, 'writeMs'),
    call: summarise(samples, 'callMs'),
    dropped: summarise(samples, 'droppedMs'),
  };
}

async function main() {
  const t0 = performance.now();
  const watchdog = setTimeout(() => {
    console.error('bench:l1-invalidation: still running after 5 min, giving up');
    process.exit(2);
  }, WATCHDOG_MS);
  watchdog.unref();
  const loadBefore = loadavg();
  const redis = await startRedisServer({
    onUnexpectedExit: (message) => {
      console.error(`${message}\naborting: numbers from this run are void`);
      process.exit(1);
    },
  });
  const workers = [];
  let raw;
  try {
    raw = createClient({ url: redis.url, commandOptions: { timeout: 0 } });
    raw.on('error', (err) => console.error(`[raw] ${err.message}`));
    await raw.connect();
    const redisVersion = parseInfo(await raw.info('server')).redis_version;
    await raw.set('db:1', '0');
    await raw.set('db:2', '0');

    const variants = [];
    // Fresh processes per variant, so one variant's history (heap, JIT, L1) does not carry over.
    for (const variant of ['set', 'del']) {
      const reader = startWorker('reader', redis.url);
      const writer = variant === 'set' ? startWorker('writer', redis.url) : undefined;
      workers.push(reader, ...(writer ? [writer] : []));
      await reader.next((m) => m.event === 'ready', 30_000);
      if (writer) await writer.next((m) => m.event === 'ready', 30_000);
      const pinned =
        PIN &&
        pin(reader.child.pid, 0) &&
        pin(process.pid, 1) &&
        pin(redis.pid, 1) &&
        (!writer || pin(writer.child.pid, 1));
      const id = variant === 'set' ? 1 : 2;
      const write =
        variant === 'set'
          ? async (v) => {
              writer.send(`set ${id} ${v}`);
              const w = await writer.next((m) => m.event === 'written' && m.v === v);
              if (!w.ok) throw new Error(`set() of v${v} failed`);
              return w;
            }
          : async (v) => {
              await raw.set(`db:${id}`, String(v));
              const startAt = now();
              await raw.del(`${PREFIX}:default:item:${id}`);
              return { startAt, ackAt: now() };
            };
      const label =
        variant === 'set'
          ? "A's RedisCacheService.set() (another app process, l1: true)"
          : 'plain node-redis client: SET db:<id> v, then DEL the cache entry (timed)';
      const result = await runVariant(variant, id, reader, write);
      reader.send('stop');
      const stats = (await reader.next((m) => m.event === 'stats')).stats;
      await reader.stop();
      if (writer) await writer.stop();
      variants.push({ ...result, label, pinned, readerStats: stats });
      const r = variants.at(-1);
      console.log(
        `${variant}: ${r.fromAck.n} writes, L1 dropped from ack p50 ${fmt(r.dropped.p50)} ms, p99 ${fmt(r.dropped.p99)} ms; new value from ack p50 ${fmt(r.fromAck.p50)} ms, p99 ${fmt(r.fromAck.p99)} ms, max ${fmt(r.fromAck.max)} ms; ` +
          `reader l1Hits ${stats.l1Hits}, l1Invalidations ${stats.l1Invalidations}, flagged ${r.flagged.length}`,
      );
    }

    const loadAfter = loadavg();
    const elapsedS = (performance.now() - t0) / 1000;
    const la = (l) => l.map((x) => x.toFixed(2)).join(' / ');
    const md = [
      '# L1 invalidation latency',
      '',
      `nestjs-readthrough at ${LIBRARY} · node ${process.version} · redis-server ${redisVersion} (private, 127.0.0.1:${redis.port}) · ` +
        `${cpus().length} × ${cpus()[0]?.model?.trim()} · load average (1, 5, 15 min) ${la(loadBefore)} → ${la(loadAfter)} · ` +
        `${variants[0].pinned ? 'reader on CPU 0; writer, redis-server and orchestrator on CPU 1' : 'not pinned'} · ` +
        `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`,
      '',
      `Reader B (\`l1: true\`) polls its \`@ReadThrough('item:{0}')\` method for one key in a tight loop (setImmediate between ` +
        `calls). Per write, two latencies from the write's acknowledgement: **B's L1 dropped the entry** — B's \`l1-invalidation\` ` +
        `event on the push, from which moment B no longer serves the old value (the target) — and **B returned the new value** — its ` +
        `first call returning it (negative when A's process took longer to hear its own reply than B to serve the value). "B's call that saw it" is the duration of that call: an L2 read ` +
        `after the push (set), or a miss, the loader's database read and the entry's write (del). ${WRITES} measured writes ` +
        `per variant after ${WARMUP} unreported ones, one at a time, 2–8 ms apart. Target: p99 ≤ ${TARGET_P99_MS} ms.`,
      '',
      "| write by | writes | B's L1 dropped the entry, from ack: p50 ms | p90 ms | p99 ms | max ms | p99 ≤ 5 ms | B returned the new value, from ack: p50 ms | p90 ms | p99 ms | max ms | min ms | from write start: p50 / p99 ms | write itself: p50 / p99 ms | B's call that saw it: p50 / p99 ms |",
      '| --- | ---: | ---: | ---: | ---: | ---: | :---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
      ...variants.map(
        (r) =>
          `| ${r.label} | ${r.fromAck.n} | ${fmt(r.dropped.p50)} | ${fmt(r.dropped.p90)} | **${fmt(r.dropped.p99)}** | ${fmt(r.dropped.max)} | ` +
          `${r.dropped.p99 <= TARGET_P99_MS ? 'yes' : '**no**'} | ` +
          `${fmt(r.fromAck.p50)} | ${fmt(r.fromAck.p90)} | **${fmt(r.fromAck.p99)}** | ${fmt(r.fromAck.max)} | ` +
          `${fmt(r.fromAck.min)} | ${fmt(r.fromStart.p50)} / ${fmt(r.fromStart.p99)} | ${fmt(r.write.p50)} / ${fmt(r.write.p99)} | ` +
          `${fmt(r.call.p50)} / ${fmt(r.call.p99)} |`,
      ),
      '',
      'Reader stats at the end of each variant (proof the key was served from L1 between writes and that every write reached it by a push):',
      '',
      ...variants.map(
        (r) =>
          `- ${r.name}: l1Hits ${r.readerStats.l1Hits}, l1Invalidations ${r.readerStats.l1Invalidations}, l1Flushes ${r.readerStats.l1Flushes}, ` +
          `hits ${r.readerStats.hits}, misses ${r.readerStats.misses}; L1 hits between two writes: min ${Math.min(...r.samples.map((s) => s.l1HitsBetween))}, ` +
          `median ${percentile(Float64Array.from(r.samples.map((s) => s.l1HitsBetween)).sort(), 0.5)}; ` +
          `${r.flagged.length ? `**${r.flagged.length} writes with < 2 L1 hits before them or no push after them**: ${r.flagged.slice(0, 10).join(', ')}` : 'every write found the key served from L1 and reached it by a push'}`,
      ),
      '',
      `Total bench time: ${elapsedS.toFixed(0)} s.`,
      '',
    ].join('\n');
    console.log(`\n${md}`);
    await mkdir(join(here, 'results'), { recursive: true });
    const out = process.env.BENCH_OUT ?? 'l1-invalidation-latest';
    await writeFile(join(here, 'results', `${out}.md`), md);
    await writeFile(
      join(here, 'results', `${out}.json`),
      `${JSON.stringify({ date: new Date().toISOString(), library: LIBRARY, loadBefore, loadAfter, redisVersion, variants }, null, 2)}\n`,
    );
    console.log(`wrote results/${out}.md and .json`);
    if (variants.some((r) => r.dropped.p99 > TARGET_P99_MS)) process.exitCode = 1;
  } finally {
    for (const w of workers) await w.stop().catch(() => undefined);
    if (raw?.isOpen) await raw.close();
    await redis.stop();
  }
}

main().catch((err) => {
  console.error(err?.stack ?? err);
  process.exit(1);
});

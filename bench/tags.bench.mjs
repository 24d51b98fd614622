// Tags bench: what tags cost on Redis (README "Tags").
//  1. A tagged hit vs an untagged hit, concurrency 64, each in its own process, rounds interleaved,
//     the ratio paired per round (median and range), plus the commands each hit sent.
//  2. invalidateTags() of a tag carried by 1, 1,000 and 100,000 entries: wall time of the call,
//     the commands it sent, and the memory the tag keys use.
// One private redis-server on a free 127.0.0.1 port, stopped by its pid at the end.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runJsonWorker } from './lib/child-process.mjs';
import { startRedisServer } from './lib/redis-process.mjs';
import { intFromEnv } from './lib/bench-env.mjs';
import { median } from './lib/stats.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const rounds = intFromEnv('BENCH_ROUNDS', 5);
const sizes = (process.env.BENCH_TAG_SIZES ?? '1,1000,100000').split(',').map(Number);
const watchdog = setTimeout(() => {
  console.error('tags bench: 15-minute watchdog fired');
  process.exit(1);
}, 15 * 60_000);
watchdog.unref();

const run = (args) => runJsonWorker(`${here}lib/tags-worker.mjs`, args);

const redis = await startRedisServer({
  onUnexpectedExit: (message) => {
    console.error(message);
    process.exit(1);
  },
});
const results = { hits: [], invalidations: [] };
try {
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? ['untagged', 'tagged'] : ['tagged', 'untagged'];
    const pair = {};
    for (const kind of order) pair[kind] = await run(['hit', kind, redis.url, `tb-hit-${kind}-${round}`]);
    results.hits.push({ round, ...pair, ratio: pair.tagged.opsPerSec / pair.untagged.opsPerSec });
    console.log(
      `round ${round + 1}: untagged ${pair.untagged.opsPerSec.toFixed(0)} ops/s, tagged ${pair.tagged.opsPerSec.toFixed(0)} ops/s, ratio ${(pair.tagged.opsPerSec / pair.untagged.opsPerSec).toFixed(3)}`,
    );
  }
  for (const n of sizes) {
    for (let round = 0; round < Math.min(rounds, 3); round++) {
      const r = await run(['invalidate', String(n), redis.url, `tb-inv-${n}-${round}`]);
      results.invalidations.push(r);
      console.log(
        `invalidate ${n}: ${r.ms.toFixed(2)} ms, ${r.commands} command(s), ${r.reloaded}/${r.sampled} sampled entries reloaded, ${r.tagKeys} tag keys (${r.tagBytes} bytes)`,
      );
    }
  }
} finally {
  await redis.stop();
}

const ratios = results.hits.map((h) => h.ratio);
const lines = [
  `# Tags bench (${new Date().toISOString()})`,
  '',
  '| hit at c=64 | median ops/s | CPU µs/hit (median) | GET/hit | MGET/hit |',
  '|---|---:|---:|---:|---:|',
  ...['untagged', 'tagged'].map((kind) => {
    const xs = results.hits.map((h) => h[kind]);
    return `| ${kind} | ${median(xs.map((x) => x.opsPerSec)).toFixed(0)} | ${median(xs.map((x) => x.cpuUsPerHit)).toFixed(2)} | ${median(xs.map((x) => x.getPerHit)).toFixed(2)} | ${median(xs.map((x) => x.mgetPerHit)).toFixed(2)} |`;
  }),
  '',
  `tagged ÷ untagged ops/s, paired per round: median ${median(ratios).toFixed(3)} (range ${Math.min(...ratios).toFixed(3)}–${Math.max(...ratios).toFixed(3)}, ${ratios.length} rounds)`,
  '',
  '| entries carrying the tag | invalidateTags ms (median, range) | commands sent | tag keys afterwards | tag key bytes |',
  '|---:|---:|---:|---:|---:|',
  ...sizes.map((n) => {
    const xs = results.invalidations.filter((r) => r.n === n);
    const ms = xs.map((x) => x.ms);
    return `| ${n} | ${median(ms).toFixed(2)} (${Math.min(...ms).toFixed(2)}–${Math.max(...ms).toFixed(2)}) | ${[...new Set(xs.map((x) => x.commands))].join(', ')} | ${xs[0].tagKeys} | ${xs[0].tagBytes} |`;
  }),
];
console.log(`\n${lines.join('\n')}`);
writeFileSync(`${here}results/tags-latest.md`, `${lines.join('\n')}\n`);
writeFileSync(`${here}results/tags-latest.json`, JSON.stringify(results, null, 2));

// Compression bench (README "Compression"): a ~100 KB JSON value through @ReadThrough, stored
// plain, gzip (level 6) or brotli (quality 5), and gzip entries read by a method without
// compression. Each variant runs in its own process (lib/compression-worker.mjs), rounds
// interleaved with the order rotating; reported: bytes in Redis, CPU µs per miss and per hit
// (process.cpuUsage over sequential calls, so it is this process's CPU only), wall µs per hit,
// GETs per hit; median and range over the rounds.
// One private redis-server on a free 127.0.0.1 port, stopped by its pid at the end.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runJsonWorker } from './lib/child-process.mjs';
import { startRedisServer } from './lib/redis-process.mjs';
import { intFromEnv, libraryRevision } from './lib/bench-env.mjs';
import { median } from './lib/stats.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const rounds = intFromEnv('BENCH_ROUNDS', 5);
const VARIANTS = ['plain', 'gzip', 'brotli', 'gzip-read-plain'];
const watchdog = setTimeout(() => {
  console.error('compression bench: 15-minute watchdog fired');
  process.exit(1);
}, 15 * 60_000);
watchdog.unref();

const run = (args) => runJsonWorker(`${here}lib/compression-worker.mjs`, args);

const redis = await startRedisServer({
  onUnexpectedExit: (message) => {
    console.error(message);
    process.exit(1);
  },
});
const results = [];
try {
  for (let round = 0; round < rounds; round++) {
    const order = VARIANTS.map((_, i) => VARIANTS[(i + round) % VARIANTS.length]);
    for (const variant of order) {
      const r = await run([variant, redis.url, `cb-${variant}-${round}`]);
      results.push({ round, ...r });
      console.log(
        `round ${round + 1} ${variant}: ${r.storedBytes} B stored (flags ${r.flags}), miss ${r.missCpuUs.toFixed(0)} µs CPU, hit ${r.hitCpuUs.toFixed(0)} µs CPU / ${r.hitWallUs.toFixed(0)} µs wall, ${r.getsPerHit.toFixed(2)} GET/hit`,
      );
    }
  }
} finally {
  await redis.stop();
}

const fmt = (xs, digits = 0) =>
  `${median(xs).toFixed(digits)} (${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)})`;
const of = (variant) => results.filter((r) => r.variant === variant);
const plain = of('plain');
const lines = [
  `# Compression bench (${new Date().toISOString()}, ${libraryRevision()}, node ${process.versions.node}, ${rounds} rounds)`,
  '',
  `A ${plain[0].jsonBytes}-byte JSON value through @ReadThrough, one call at a time; CPU is the app process's (user + system), median (range) over the rounds.`,
  '',
  '| variant | bytes in Redis (STRLEN) | MEMORY USAGE | CPU µs per miss | CPU µs per hit | wall µs per hit | GET per hit |',
  '|---|---:|---:|---:|---:|---:|---:|',
  ...VARIANTS.map((variant) => {
    const xs = of(variant);
    return `| ${variant} | ${xs[0].storedBytes} | ${xs[0].memoryUsage} | ${fmt(xs.map((x) => x.missCpuUs))} | ${fmt(xs.map((x) => x.hitCpuUs))} | ${fmt(xs.map((x) => x.hitWallUs))} | ${median(xs.map((x) => x.getsPerHit)).toFixed(2)} |`;
  }),
  '',
  'Paired per round, vs plain: ' +
    ['gzip', 'brotli', 'gzip-read-plain']
      .map((variant) => {
        const hit = of(variant).map((x, i) => x.hitCpuUs / plain[i].hitCpuUs);
        const miss = of(variant).map((x, i) => x.missCpuUs / plain[i].missCpuUs);
        return `${variant} hit CPU ${fmt(hit, 2)}×, miss CPU ${fmt(miss, 2)}×`;
      })
      .join('; '),
];
console.log(`\n${lines.join('\n')}`);
writeFileSync(`${here}results/compression-latest.md`, `${lines.join('\n')}\n`);
writeFileSync(`${here}results/compression-latest.json`, JSON.stringify(results, null, 2));

// One measuring process of the compression bench (see compression.bench.mjs):
// `<plain|gzip|brotli|gzip-read-plain> <url> <prefix>` boots an app whose @ReadThrough method
// returns a ~100 KB JSON value (built once: the load itself costs nothing), then measures, one
// call at a time: CPU per miss (GET, fence, serialize, compress, SET) over distinct keys, the
// bytes Redis holds per entry (STRLEN, MEMORY USAGE), and CPU and wall time per hit (GET,
// inflate, parse). `gzip-read-plain`: entries written with gzip, hits read by a method without
// compression (a text read that meets a compressed entry, then the bytes: two GETs). Prints one JSON line.
import 'reflect-metadata';
import { decorateMethod, loadLibraryWithNest } from './library-nest.mjs';
import { intFromEnv, parseInfo } from './bench-env.mjs';
import { makeLargeValue } from './large-value.mjs';

const [variant, url, prefix] = process.argv.slice(2);
const { lib, common, core } = await loadLibraryWithNest();
const value = makeLargeValue(7);
const jsonBytes = Buffer.byteLength(JSON.stringify(value));
const writeCompression = { plain: false, gzip: { algorithm: 'gzip' }, brotli: { algorithm: 'brotli' } }[
  variant === 'gzip-read-plain' ? 'gzip' : variant
];

class BigService {
  async write(_id) {
    return value;
  }
  async read(_id) {
    return value;
  }
}
common.Injectable()(BigService);
// Same key template: `read` hits what `write` stored.
decorateMethod(BigService, 'write', [lib.ReadThrough('big:{0}', '10m', { compression: writeCompression })]);
decorateMethod(BigService, 'read', [
  lib.ReadThrough(
    'big:{0}',
    '10m',
    variant === 'gzip-read-plain' ? { compression: false } : { compression: writeCompression },
  ),
]);
class BenchModule {}
common.Module({
  imports: [lib.RedisCacheModule.forRoot({ url, prefix, ttl: '10m', operationTimeout: '5s' })],
  providers: [BigService],
})(BenchModule);
const app = await core.NestFactory.createApplicationContext(BenchModule, { logger: false });
const svc = app.get(BigService);
const pool = app.get(lib.RedisPoolService);
const cache = app.get(lib.RedisCacheService);
const getCalls = async () =>
  Number(/calls=(\d+)/.exec(parseInfo(await pool.execute((c) => c.info('commandstats'))).cmdstat_get ?? '')?.[1] ?? 0);

const misses = intFromEnv('BENCH_MISSES', 200);
const hits = intFromEnv('BENCH_HITS', 2000);
const cpu = (start) => {
  const used = process.cpuUsage(start);
  return used.user + used.system;
};

// Warm-up: JIT, zlib, connections; on keys the measurement does not use.
for (let i = 0; i < 50; i++) await svc.write(`warm-${i}`);
for (let i = 0; i < 200; i++) await svc.read(`warm-${i % 50}`);

globalThis.gc?.();
let c0 = process.cpuUsage();
let t0 = performance.now();
for (let i = 0; i < misses; i++) await svc.write(i);
const missCpuUs = cpu(c0) / misses;
const missWallUs = ((performance.now() - t0) * 1000) / misses;

const key = `${prefix}:default:big:0`;
const storedBytes = Number(await pool.execute((c) => c.strLen(key)));
const memoryUsage = Number(await pool.execute((c) => c.memoryUsage(key)));
const header = await pool.execute((c) => c.getRange(key, 0, 11));

globalThis.gc?.();
const getsBefore = await getCalls();
c0 = process.cpuUsage();
t0 = performance.now();
for (let i = 0; i < hits; i++) await svc.read(i % misses);
const hitCpuUs = cpu(c0) / hits;
const hitWallUs = ((performance.now() - t0) * 1000) / hits;
const getsPerHit = ((await getCalls()) - getsBefore) / hits;

// Every hit must be the value the method returned.
const check = await svc.read(0);
if (JSON.stringify(check) !== JSON.stringify(value)) throw new Error('a hit differs from the value stored');
const stats = cache.stats();
if (stats.rejectedEntries !== 0) throw new Error(`${stats.rejectedEntries} entries were refused`);
console.log(
  JSON.stringify({
    variant,
    jsonBytes,
    storedBytes,
    memoryUsage,
    flags: header.slice(5, 6),
    missCpuUs,
    missWallUs,
    hitCpuUs,
    hitWallUs,
    getsPerHit,
    loads: stats.loads,
  }),
);
await app.close();

// One measuring process of the tags bench (see tags.bench.mjs): `hit <tagged|untagged> <url> <prefix>`
// warms 1,000 keys and measures hits at concurrency 64; `invalidate <n> <url> <prefix>` fills n
// tagged entries and times one real invalidateTags() of their tag. Prints one JSON line.
import 'reflect-metadata';
import { decorateMethod, loadLibraryWithNest } from './library-nest.mjs';
import { measure } from './runner.mjs';
import { KEY_COUNT, makeValue } from './workload.mjs';
import { intFromEnv, parseInfo } from './bench-env.mjs';

const [mode, arg, url, prefix] = process.argv.slice(2);
const { lib, common, core } = await loadLibraryWithNest();

// The hit path users write: @ReadThrough methods, policies compiled once at bootstrap.
class ItemService {
  async untagged(id) {
    return makeValue(id);
  }
  async tagged(id) {
    return makeValue(id);
  }
}
common.Injectable()(ItemService);
decorateMethod(ItemService, 'untagged', [lib.ReadThrough('e:{0}', '10m')]);
decorateMethod(ItemService, 'tagged', [lib.ReadThrough('t:{0}', '10m', { tags: ['books', 'item:{0}'] })]);
class BenchModule {}
common.Module({
  imports: [lib.RedisCacheModule.forRoot({ url, prefix, ttl: '10m' })],
  providers: [ItemService],
})(BenchModule);
const app = await core.NestFactory.createApplicationContext(BenchModule, { logger: false });
const cache = app.get(lib.RedisCacheService);
const pool = app.get(lib.RedisPoolService);
const commandCounts = async () => parseInfo(await pool.execute((c) => c.info('commandstats')));
const calls = (info, name) => Number(/calls=(\d+)/.exec(info[`cmdstat_${name}`] ?? '')?.[1] ?? 0);

async function fill(count, tagsOf, concurrency = 64) {
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < count; i = next++)
      await cache.wrap(`e:${i}`, async () => makeValue(i % KEY_COUNT), { tags: tagsOf(i) });
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

if (mode === 'hit') {
  const tagged = arg === 'tagged';
  const items = app.get(ItemService);
  const get = tagged ? (id) => items.tagged(id) : (id) => items.untagged(id);
  for (let id = 0; id < KEY_COUNT; id++) await get(id);
  const ops = intFromEnv('BENCH_TAG_OPS', 50_000);
  const latencies = new Float64Array(ops);
  await measure(get, { ops: 5_000, concurrency: 64, latencies });
  const before = await commandCounts();
  const result = await measure(get, { ops, concurrency: 64, latencies });
  const after = await commandCounts();
  const perHit = (name) => (calls(after, name) - calls(before, name)) / ops;
  const cpuUsPerHit = (result.userUs + result.systemUs) / ops;
  console.log(
    JSON.stringify({ mode, tagged, ...result, cpuUsPerHit, getPerHit: perHit('get'), mgetPerHit: perHit('mget') }),
  );
} else {
  const n = Number(arg);
  await fill(n, (i) => ['big', `group:${i % 10}`]);
  const before = await commandCounts();
  const t0 = performance.now();
  await cache.invalidateTags(['big']);
  const ms = performance.now() - t0;
  const after = await commandCounts();
  const commands = Object.keys(after)
    .filter((k) => k.startsWith('cmdstat_') && k !== 'cmdstat_info')
    .reduce((sum, k) => sum + calls(after, k.slice(8)) - calls(before, k.slice(8)), 0);
  // Proof that it took effect: sampled entries now miss.
  let reloaded = 0;
  for (let i = 0; i < Math.min(n, 50); i++)
    await cache.wrap(`e:${i}`, async () => (reloaded++, makeValue(i)), { tags: ['big'] });
  const tagKeys = await pool.execute((c) => c.keys(`${prefix}:{${prefix}:__tags__}:*`));
  let tagBytes = 0;
  for (const key of tagKeys) tagBytes += Number(await pool.execute((c) => c.memoryUsage(key)));
  console.log(
    JSON.stringify({ mode, n, ms, commands, reloaded, sampled: Math.min(n, 50), tagKeys: tagKeys.length, tagBytes }),
  );
}
await app.close();

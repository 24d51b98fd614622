/**
 * Writes from another instance racing reads and L1 fills in flight. Instance A keeps 16 readers
 * of a few keys in flight (so fills race the pushes); instance B writes increasing versions with
 * set(), del() and invalidateTags(), with FLUSHDB and CLIENT KILL of A's connection thrown in.
 * After each write of B resolves, one barrier command on A's connection (its reply comes after any
 * push Redis queued before it), then A must never return a version older than the one written.
 */
import 'reflect-metadata';
import { RedisCacheService } from '../../lib/index.js';
import { cacheTestingModule, trackTestingModules } from '../helpers/nest-testing.helper.js';
import { eventually } from '../helpers/polling.helper.js';
import { startRedisServer, stopAllRedisServers, type RedisServerHandle } from '../helpers/redis-server.js';
import { uniquePrefix } from '../helpers/test-redis.js';
import { RedisPoolService } from '../../lib/index.js';

let server: RedisServerHandle;
beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(() => stopAllRedisServers());

describe('L1 under a burst of foreign writes', () => {
  const modules = trackTestingModules();
  let stop = false;

  async function instance(prefix: string) {
    const ref = await modules.boot(
      cacheTestingModule({ url: server.url, prefix, operationTimeout: '5s', l1: true }, []),
    );
    const cache = ref.get(RedisCacheService);
    expect(await eventually(2_000, () => cache.stats().l1Live === true)).toBe(true);
    return { cache, pool: ref.get(RedisPoolService) };
  }

  it('never serves a version older than a completed write', async () => {
    const deadline = setTimeout(() => (stop = true), 20_000);
    const prefix = uniquePrefix('l1-burst');
    const a = await instance(prefix);
    const b = await instance(prefix);
    const keys = ['k0', 'k1', 'k2'];
    const version = new Map(keys.map((k) => [k, 0]));
    // A tagged read of k0, untagged of the others: the factory returns the current version.
    const read = (k: string) =>
      a.cache.wrap(k, () => version.get(k)!, k === 'k0' ? { tags: ['t0'], ttl: '1m' } : { ttl: '1m' });
    const readers = Array.from({ length: 16 }, async (_, i) => {
      // Yield to I/O each round: L1 hits settle in microtasks and would starve the sockets.
      while (!stop) {
        await read(keys[i % keys.length]);
        await new Promise((r) => setImmediate(r));
      }
    });
    let stale = 0;
    const l1HitsBefore = a.cache.stats().l1Hits ?? 0;
    for (let i = 1; i <= 300 && !stop; i++) {
      const k = keys[i % keys.length];
      version.set(k, i);
      if (i % 3 === 0) await b.cache.set(k, i, { ttl: '1m' });
      else if (k === 'k0') await b.cache.invalidateTags(['t0']);
      else await b.cache.del(k);
      if (i === 100) await server.command('FLUSHDB');
      if (i === 200) await server.command('CLIENT', 'KILL', 'TYPE', 'normal');
      // Barrier on A's connection (fails fast while it reconnects; then the L1 is off anyway).
      await a.cache.has('__barrier__').catch(() => undefined);
      const got = (await read(k)) as number;
      if (got < i) stale++;
    }
    stop = true;
    clearTimeout(deadline);
    await Promise.all(readers);
    expect(stale).toBe(0);
    // The burst went through the L1, not around it.
    expect((a.cache.stats().l1Hits ?? 0) - l1HitsBefore).toBeGreaterThan(100);
  });
});

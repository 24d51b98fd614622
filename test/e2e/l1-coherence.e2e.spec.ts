/**
 * The in-process L1 (README "L1"), kept coherent by Redis client tracking. Two app instances on
 * one private redis-server: whatever changes a key (the other instance, redis-cli, expiry,
 * maxmemory eviction, FLUSHDB, a killed connection, a restarted server), the instance that holds
 * it in L1 stops serving the old value. Every scenario ends by checking no stale value is served.
 */
import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import { ReadThrough, RedisCacheService, type RedisCacheModuleOptions } from '../../lib/index.js';
import { cacheTestingModule, trackTestingModules } from '../helpers/nest-testing.helper.js';
import { eventually } from '../helpers/polling.helper.js';
import { startRedisServer, stopAllRedisServers, type RedisServerHandle } from '../helpers/redis-server.js';
import { uniquePrefix } from '../helpers/test-redis.js';

let server: RedisServerHandle;
beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(() => stopAllRedisServers());

/** The "database" both instances read through their cache. */
const db = new Map<string, string>();

@Injectable()
class ItemService {
  runs = 0;

  @ReadThrough('item:{0}', '1m')
  async item(id: string): Promise<{ id: string; title: string }> {
    this.runs++;
    return { id, title: db.get(id) ?? 'none' };
  }

  @ReadThrough('plain:{0}', '1m', { l1: false })
  async plain(id: string): Promise<{ id: string }> {
    this.runs++;
    return { id };
  }

  @ReadThrough('tagged:{0}', '1m', { tags: ['shelf'] })
  async tagged(id: string): Promise<{ id: string; title: string }> {
    this.runs++;
    return { id, title: db.get(id) ?? 'none' };
  }
}

async function getCalls(): Promise<number> {
  const info = await server.command('INFO', 'commandstats');
  return Number(/cmdstat_get:calls=(\d+)/.exec(info)?.[1] ?? 0);
}

describe('L1 kept coherent by client tracking', () => {
  const modules = trackTestingModules();

  async function instance(prefix: string, extra: RedisCacheModuleOptions = {}) {
    const ref: TestingModule = await modules.boot(
      cacheTestingModule({ url: server.url, prefix, operationTimeout: '5s', l1: true, ...extra }, [ItemService]),
    );
    const cache = ref.get(RedisCacheService);
    // Tracking is confirmed on the connection before the L1 serves.
    expect(await eventually(2_000, () => cache.stats().l1Live === true)).toBe(true);
    return { ref, svc: ref.get(ItemService), cache };
  }

  /** Reads until the instance serves `title` (bounded), then checks it keeps doing so. */
  async function servesOnly(svc: ItemService, id: string, title: string): Promise<void> {
    expect(await eventually(2_000, async () => (await svc.item(id)).title === title, 5)).toBe(true);
    for (let i = 0; i < 20; i++) expect((await svc.item(id)).title).toBe(title);
  }

  it('is off by default: every hit is a GET', async () => {
    const ref = await modules.boot(
      cacheTestingModule({ url: server.url, prefix: uniquePrefix('l1-off'), operationTimeout: '5s' }, [ItemService]),
    );
    const svc = ref.get(ItemService);
    await svc.item('a');
    const before = await getCalls();
    for (let i = 0; i < 10; i++) await svc.item('a');
    expect((await getCalls()) - before).toBe(10);
    expect(ref.get(RedisCacheService).stats().l1Hits).toBeUndefined();
  });

  it('a hit held in L1 sends no command; l1: false on a method keeps it on Redis', async () => {
    const { svc, cache } = await instance(uniquePrefix('l1-hit'));
    db.set('h', 'one');
    await svc.item('h'); // miss, stored
    await svc.item('h'); // Redis hit, fills L1
    const before = await getCalls();
    for (let i = 0; i < 50; i++) expect((await svc.item('h')).title).toBe('one');
    expect((await getCalls()) - before).toBe(0);
    expect(cache.stats().l1Hits).toBeGreaterThanOrEqual(50);
    await svc.plain('p');
    await svc.plain('p');
    const plainBefore = await getCalls();
    await svc.plain('p');
    expect((await getCalls()) - plainBefore).toBe(1);
  });

  it('by default an L1 hit is a fresh copy: mutating it changes nothing for the next caller', async () => {
    const { svc } = await instance(uniquePrefix('l1-copy'));
    db.set('c', 'original');
    await svc.item('c');
    await svc.item('c');
    const first = await svc.item('c');
    first.title = 'mutated';
    expect((await svc.item('c')).title).toBe('original');
  });

  it('shareValues: every L1 hit gets the same object', async () => {
    const { svc } = await instance(uniquePrefix('l1-share'), { l1: { shareValues: true } });
    await svc.item('s');
    await svc.item('s');
    const a = await svc.item('s');
    const b = await svc.item('s');
    expect(a).toBe(b);
  });

  it('writes by another instance: set(), del(), evict, @ReadThrough refresh, invalidateTags, clear()', async () => {
    const prefix = uniquePrefix('l1-two');
    const a = await instance(prefix);
    const b = await instance(prefix);
    db.set('w', 'v1');
    await b.svc.item('w');
    await b.svc.item('w');
    await servesOnly(b.svc, 'w', 'v1');

    await a.cache.set('item:w', { id: 'w', title: 'v2' });
    await servesOnly(b.svc, 'w', 'v2');

    db.set('w', 'v3');
    await a.cache.del('item:w');
    await servesOnly(b.svc, 'w', 'v3');

    db.set('w', 'v4');
    await a.cache.refresh(ItemService, 'item', 'w');
    await servesOnly(b.svc, 'w', 'v4');

    db.set('t', 't1');
    await b.svc.tagged('t');
    await b.svc.tagged('t');
    db.set('t', 't2');
    await a.cache.invalidateTags(['shelf']);
    expect(await eventually(2_000, async () => (await b.svc.tagged('t')).title === 't2', 5)).toBe(true);

    db.set('w', 'v5');
    await a.cache.clear();
    await servesOnly(b.svc, 'w', 'v5');
    expect(b.cache.stats().l1Invalidations).toBeGreaterThan(0);
  });

  it('writes from redis-cli, an expiry, a maxmemory eviction and FLUSHDB reach the L1', async () => {
    const prefix = uniquePrefix('l1-cli');
    const { svc, cache } = await instance(prefix);
    const key = `${prefix}:default:item:x`;
    db.set('x', 'stored');
    await svc.item('x');
    await svc.item('x');
    db.set('x', 'after-del');
    await server.command('DEL', key);
    await servesOnly(svc, 'x', 'after-del');

    db.set('x', 'after-expire');
    await server.command('PEXPIRE', key, '20');
    await servesOnly(svc, 'x', 'after-expire');

    db.set('x', 'after-eviction');
    await server.command('CONFIG', 'SET', 'maxmemory-policy', 'allkeys-random');
    const used = Number(/used_memory:(\d+)/.exec(await server.command('INFO', 'memory'))?.[1]);
    await server.command('CONFIG', 'SET', 'maxmemory', String(used + 512 * 1024));
    try {
      // Fill past maxmemory until our key is evicted.
      for (let i = 0; i < 400 && (await server.command('EXISTS', key)) === '1'; i++) {
        await server.command('SET', `${prefix}:filler:${i}`, 'x'.repeat(16 * 1024));
      }
      expect(await server.command('EXISTS', key)).toBe('0');
    } finally {
      await server.command('CONFIG', 'SET', 'maxmemory', '0');
      await server.command('CONFIG', 'SET', 'maxmemory-policy', 'noeviction');
    }
    await servesOnly(svc, 'x', 'after-eviction');

    db.set('x', 'after-flush');
    const flushesBefore = cache.stats().l1Flushes!;
    await server.command('FLUSHDB');
    expect(await eventually(2_000, () => cache.stats().l1Flushes! > flushesBefore)).toBe(true);
    await servesOnly(svc, 'x', 'after-flush');
  });

  it('a killed connection and a restarted server flush the L1; it serves again once tracking is back', async () => {
    const prefix = uniquePrefix('l1-kill');
    const { svc, cache } = await instance(prefix);
    db.set('k', 'before');
    await svc.item('k');
    await svc.item('k');
    const flushes = cache.stats().l1Flushes!;
    await server.command('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes');
    expect(await eventually(3_000, () => cache.stats().l1Flushes! > flushes)).toBe(true);
    // While the connection is down, nothing changes what is served: when it is back, a write
    // made meanwhile (no push could reach us) is seen.
    await server.command('SET', `${prefix}:unrelated`, '1');
    db.set('k', 'during');
    await server.command('DEL', `${prefix}:default:item:k`);
    await servesOnly(svc, 'k', 'during');

    db.set('k', 'after-restart');
    await server.restart();
    await servesOnly(svc, 'k', 'after-restart');
    // L1 serves again after the restart.
    await svc.item('k');
    const hits = cache.stats().l1Hits!;
    await svc.item('k');
    expect(await eventually(3_000, async () => (await svc.item('k'), cache.stats().l1Hits! > hits))).toBe(true);
  });

  it('events: l1-hit on an L1 hit, l1-invalidation when Redis reports a change, l1-flush on FLUSHDB', async () => {
    const prefix = uniquePrefix('l1-events');
    const { svc, cache } = await instance(prefix);
    const seen: string[] = [];
    const subscription = cache.events$.subscribe((event) => seen.push(event.type));
    try {
      await svc.item('e');
      await svc.item('e');
      await svc.item('e');
      expect(seen).toContain('l1-hit');
      await server.command('DEL', `${prefix}:default:item:e`);
      expect(await eventually(2_000, () => seen.includes('l1-invalidation'))).toBe(true);
      await svc.item('e');
      await svc.item('e');
      await server.command('FLUSHDB');
      expect(await eventually(2_000, () => seen.includes('l1-flush'))).toBe(true);
    } finally {
      subscription.unsubscribe();
    }
  });

  it('bounds: never more than maxEntries held; evictions counted', async () => {
    const { svc, cache } = await instance(uniquePrefix('l1-bounds'), { l1: { maxEntries: 10 } });
    for (let i = 0; i < 50; i++) {
      await svc.item(`b${i}`);
      await svc.item(`b${i}`);
    }
    expect(cache.stats().l1Size).toBeLessThanOrEqual(10);
    expect(cache.stats().l1Evictions).toBeGreaterThanOrEqual(40);
  });
});

describe('L1 options that cannot be honoured', () => {
  const modules = trackTestingModules();

  it('l1 with sentinel replica reads fails bootstrap naming l1 and replicaPoolSize (cluster and sentinel are otherwise accepted, see l1-topologies)', async () => {
    await expect(
      modules.boot(
        cacheTestingModule(
          {
            sentinel: { name: 'm', sentinelRootNodes: [{ host: '127.0.0.1', port: 1 }], replicaPoolSize: 1 },
            l1: true,
          },
          [],
        ),
      ),
    ).rejects.toThrow(/"l1".*replicaPoolSize/s);
  });

  it('a server that refuses client tracking fails bootstrap naming l1; the same connection without l1 caches', async () => {
    // An ACL user that may do everything but CLIENT TRACKING (as a restricted user or a proxy would).
    await server.command('ACL', 'SETUSER', 'notrack', 'on', '>pw', '~*', '&*', '+@all', '-client|tracking');
    const url = server.url.replace('redis://', 'redis://notrack:pw@');
    const started = Date.now();
    const refused = modules.boot(cacheTestingModule({ url, prefix: uniquePrefix('nt'), l1: true }, [ItemService]));
    await expect(refused).rejects.toThrow(/"l1".*refused.*client\|tracking.*Fix: /s);
    await expect(refused).rejects.toMatchObject({ code: 'E_REDIS_CACHE_INVALID_OPTIONS', field: 'l1' });
    // Refused on the server's answer, not after waiting out the connect timeout.
    expect(Date.now() - started).toBeLessThan(1_500);
    const ref = await modules.boot(
      cacheTestingModule({ url, prefix: uniquePrefix('nt'), operationTimeout: '5s' }, [ItemService]),
    );
    const svc = ref.get(ItemService);
    await svc.item('n');
    await svc.item('n');
    expect(svc.runs).toBe(1);
    expect(ref.get(RedisCacheService).stats().hits).toBe(1);
  });

  it('a method asking for l1 when the module has none fails bootstrap', async () => {
    @Injectable()
    class Wants {
      @ReadThrough('k:{0}', '1m', { l1: true })
      async find(id: string): Promise<string> {
        return id;
      }
    }
    await expect(modules.boot(cacheTestingModule({ store: 'memory' }, [Wants]))).rejects.toThrow(/find: l1/);
  });

  it('on the memory store l1 is a no-op (the store is in-process already)', async () => {
    const ref = await modules.boot(cacheTestingModule({ store: 'memory', l1: true }, [ItemService]));
    const svc = ref.get(ItemService);
    await svc.item('m');
    await svc.item('m');
    expect(ref.get(RedisCacheService).stats().l1Hits).toBeUndefined();
    expect(svc.runs).toBe(1);
  });
});

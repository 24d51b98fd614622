/**
 * Compression (README "Compression") on both stores: a 100 KB JSON value is stored compressed
 * (fewer bytes in the store, flag 2 or 4 in its header) and every hit is deep-equal to what the
 * method returned; settings flipped between writers on one key space read each other's entries;
 * planted compressed garbage and a zip bomb are a miss (logged, counted, overwritten); routes
 * store compressed responses and replay the exact bytes sent.
 */
import 'reflect-metadata';
import { gzipSync } from 'node:zlib';
import { Controller, Get, Injectable, UseInterceptors, type ModuleMetadata, type Provider } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import {
  ReadThrough,
  ReadThroughInterceptor,
  RedisCacheService,
  type RedisCacheModuleOptions,
} from '../../lib/index.js';
import { CacheStore } from '../../lib/store/cache.store.js';
import { cacheTestingModule, initCapturing, trackTestingModules } from '../helpers/nest-testing.helper.js';
import { cli } from '../helpers/redis-cli.helper.js';
import { flushPrefix, uniquePrefix, useTestRedis } from '../helpers/test-redis.js';
import { Counter, PLATFORMS, trackHttpApps } from './fixtures/http-app.js';

const redis = useTestRedis();

/** About 100 KB of JSON with repeated keys and varied values, like an API page. */
function page(n: number): { n: number; items: { id: string; name: string; price: number; note: string }[] } {
  const items = [];
  for (let i = 0; i < 900; i++) {
    items.push({
      id: `item-${n}-${i}`,
      name: `Item ${i} ✓ é`,
      price: (i * 7919) % 10_000,
      note: `row ${i % 37} of ${n}`,
    });
  }
  return { n, items };
}
const PAGE_BYTES = Buffer.byteLength(JSON.stringify(page(1)));

@Injectable()
class PagesService {
  runs = 0;

  @ReadThrough('page:{0}')
  async page(n: number): Promise<ReturnType<typeof page>> {
    this.runs++;
    return page(n);
  }

  @ReadThrough('plain:{0}', undefined, { compression: false })
  async plain(n: number): Promise<ReturnType<typeof page>> {
    this.runs++;
    return page(n);
  }

  @ReadThrough('brotli:{0}', undefined, { compression: { algorithm: 'brotli' } })
  async brotli(n: number): Promise<ReturnType<typeof page>> {
    this.runs++;
    return page(n);
  }
}

type StoreKind = 'redis' | 'memory';

describe.each<StoreKind>(['redis', 'memory'])('compression on the %s store', (store) => {
  const modules = trackTestingModules();
  const prefixes: string[] = [];
  afterEach(async () => {
    if (store === 'redis') for (const prefix of prefixes.splice(0)) await flushPrefix(redis.url(), prefix);
  });

  function newPrefix(label: string): string {
    const prefix = uniquePrefix(`${store}-${label}`);
    prefixes.push(prefix);
    return prefix;
  }

  function moduleOn(options: RedisCacheModuleOptions, providers: Provider[] = [PagesService]): ModuleMetadata {
    return cacheTestingModule(
      { store, ...(store === 'redis' ? { url: redis.url() } : {}), operationTimeout: '5s', ...options },
      providers,
    );
  }

  /** The stored bytes of a full key, read from the store itself (redis: a GET as bytes). */
  async function stored(ref: TestingModule, fullKey: string): Promise<Buffer> {
    const raw = await ref.get(CacheStore).get(fullKey);
    if (raw === null) throw new Error(`${fullKey} is not stored`);
    return raw;
  }

  it('stores a 100 KB JSON value gzip-compressed (flag 2, under a third of the bytes); hits are deep-equal', async () => {
    const prefix = newPrefix('gzip');
    const ref = await modules.boot(moduleOn({ prefix, compression: true }));
    const svc = ref.get(PagesService);
    const first = await svc.page(1);
    expect(first).toEqual(page(1));
    const raw = await stored(ref, `${prefix}:default:page:1`);
    expect(raw.toString('latin1', 0, 12)).toBe('\x1eRT3:2:json:');
    expect(raw.length).toBeLessThan(PAGE_BYTES / 3);
    if (store === 'redis') {
      expect(Number(await cli(redis, 'STRLEN', `${prefix}:default:page:1`))).toBe(raw.length);
    }
    for (let i = 0; i < 3; i++) expect(await svc.page(1)).toEqual(page(1));
    expect(svc.runs).toBe(1);
    const stats = ref.get(RedisCacheService).stats();
    expect(stats).toMatchObject({ hits: 3, misses: 1, rejectedEntries: 0 });
  });

  it('per method: compression: false stores plain (flag 0), brotli stores flag 4; both hit', async () => {
    const prefix = newPrefix('per-method');
    const ref = await modules.boot(moduleOn({ prefix, compression: { threshold: 2048 } }));
    const svc = ref.get(PagesService);
    await svc.plain(2);
    await svc.brotli(3);
    const plain = await stored(ref, `${prefix}:default:plain:2`);
    const brotli = await stored(ref, `${prefix}:default:brotli:3`);
    expect(plain.toString('latin1', 0, 12)).toBe('\x1eRT3:0:json:');
    expect(plain.length).toBeGreaterThan(PAGE_BYTES);
    expect(brotli.toString('latin1', 0, 12)).toBe('\x1eRT3:4:json:');
    expect(brotli.length).toBeLessThan(PAGE_BYTES / 3);
    expect(await svc.plain(2)).toEqual(page(2));
    expect(await svc.brotli(3)).toEqual(page(3));
    expect(svc.runs).toBe(2);
  });

  it('flipped settings on one key space: a writer without compression reads compressed entries and the reverse', async () => {
    const prefix = newPrefix('flip');
    const ref = await modules.boot(moduleOn({ prefix }));
    const cache = ref.get(RedisCacheService);
    let runs = 0;
    const load = (n: number) => async () => (runs++, page(n));
    // Written compressed by a call with compression, read by calls with none (a text read that meets flag 2).
    expect(await cache.wrap('k:1', load(1), { compression: true })).toEqual(page(1));
    expect(await cache.wrap('k:1', load(1))).toEqual(page(1));
    expect(await cache.get('k:1')).toEqual(page(1));
    // Written plain, read by a call with brotli.
    expect(await cache.wrap('k:2', load(2))).toEqual(page(2));
    expect(await cache.wrap('k:2', load(2), { compression: { algorithm: 'brotli' } })).toEqual(page(2));
    expect(runs).toBe(2);
    expect(cache.stats().rejectedEntries).toBe(0);
  });

  it('planted compressed garbage and a zip bomb are misses: logged, counted, overwritten with a valid entry', async () => {
    const prefix = newPrefix('untrusted');
    const { ref, logger } = await initCapturing(
      await modules.compile(moduleOn({ prefix, compression: true, maxValueBytes: 1024 * 1024 })),
    );
    const svc = ref.get(PagesService);
    const cache = ref.get(RedisCacheService);
    const header = (flags: number): Buffer =>
      Buffer.from(`\x1eRT3:${flags}:json:1:${Date.now() + 60_000}:0\n`, 'latin1');
    const plants: [string, Buffer, string][] = [
      ['4', Buffer.concat([header(2), gzipSync(JSON.stringify(page(4))).subarray(0, 500)]), 'corrupt'],
      ['5', Buffer.concat([header(3), Buffer.from('not gzip at all')]), 'corrupt'],
      ['6', Buffer.concat([header(2), gzipSync(Buffer.alloc(64 * 1024 * 1024, 32), { level: 9 })]), 'oversize'],
    ];
    for (const [n, bytes, reason] of plants) {
      const fullKey = `${prefix}:default:page:${n}`;
      await ref.get(CacheStore).set(fullKey, bytes, 60_000);
      const before = cache.stats().rejectedEntries;
      expect(await svc.page(Number(n))).toEqual(page(Number(n)));
      expect(cache.stats().rejectedEntries).toBe(before + 1);
      // Warnings are rate-limited per reason, so only the first plant of each reason is logged.
      const warned = logger
        .filter({ level: 'warn' })
        .some((entry) => typeof entry.message === 'string' && entry.message.includes(`(${reason})`));
      expect(warned).toBe(true);
      expect((await stored(ref, fullKey)).toString('latin1', 0, 12)).toBe('\x1eRT3:2:json:');
      const runs = svc.runs;
      expect(await svc.page(Number(n))).toEqual(page(Number(n)));
      expect(svc.runs).toBe(runs);
    }
  });

  if (store === 'redis') {
    it('two apps on one prefix, one compressing and one not, each read the other’s entries', async () => {
      const prefix = newPrefix('two-apps');
      const zipped = await modules.boot(moduleOn({ prefix, compression: { algorithm: 'gzip' } }));
      const plain = await modules.boot(moduleOn({ prefix }));
      const a = zipped.get(PagesService);
      const b = plain.get(PagesService);
      await a.page(7);
      expect(await b.page(7)).toEqual(page(7));
      await b.page(8);
      expect(await a.page(8)).toEqual(page(8));
      expect(a.runs + b.runs).toBe(2);
      expect(await cli(redis, 'GETRANGE', `${prefix}:default:page:7`, '0', '11')).toBe('\x1eRT3:2:json:');
      expect(await cli(redis, 'GETRANGE', `${prefix}:default:page:8`, '0', '11')).toBe('\x1eRT3:0:json:');
      for (const ref of [zipped, plain]) expect(ref.get(RedisCacheService).stats().rejectedEntries).toBe(0);
    });
  }
});

@Controller('z')
@UseInterceptors(ReadThroughInterceptor)
class PageController {
  constructor(private readonly counter: Counter) {}

  @Get('page')
  @ReadThrough()
  async page(): Promise<ReturnType<typeof page>> {
    return page(this.counter.hit('page'));
  }
}

describe.each(PLATFORMS)('compressed route entries on %s', (_platform, makeAdapter) => {
  const createApp = trackHttpApps(redis);

  it('stores the response compressed and replays the exact bytes sent on hits', async () => {
    const { http, counter, prefix } = await createApp(_platform, makeAdapter(), {
      controllers: [PageController],
      cache: { compression: true },
    });
    const miss = await http().get('/z/page').expect(200);
    expect(miss.headers['x-cache']).toBe('MISS');
    const keys = (await cli(redis, 'KEYS', `${prefix}:*`)).split('\n').filter(Boolean);
    expect(keys).toHaveLength(1);
    expect(await cli(redis, 'GETRANGE', keys[0]!, '0', '11')).toBe('\x1eRT3:2:http:');
    expect(Number(await cli(redis, 'STRLEN', keys[0]!))).toBeLessThan(PAGE_BYTES / 3);
    for (let i = 0; i < 2; i++) {
      const hit = await http().get('/z/page').expect(200);
      expect(hit.headers['x-cache']).toBe('HIT');
      expect(hit.text).toBe(miss.text);
      expect(hit.headers['content-type']).toBe(miss.headers['content-type']);
    }
    expect(counter.of('page')).toBe(1);
    await flushPrefix(redis.url(), prefix);
  });
});

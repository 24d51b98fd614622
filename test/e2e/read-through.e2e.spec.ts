/**
 * The read-through behaviour contract (README "Failure behaviour" and "Reliability") for `@ReadThrough` on provider methods and
 * for `RedisCacheService`, run against BOTH stores: a real `redis-server` and the embedded
 * memory store. Every assertion is about behaviour (how often the method ran, what the caller
 * got, what is stored and for how long), never about speed.
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { types } from 'node:util';
import { Injectable, SetMetadata, type ModuleMetadata, type Provider } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { CapturingLogger, TestingModule } from '@nestjs/testing';
import {
  ReadThrough,
  RedisCacheService,
  V8Serializer,
  seconds,
  type RedisCacheModuleOptions,
} from '../../lib/index.js';
import { CacheStore } from '../../lib/store/cache.store.js';
import {
  cacheTestingModule,
  initCapturing,
  trackTestingModules,
  type Captured,
} from '../helpers/nest-testing.helper.js';
import { cli } from '../helpers/redis-cli.helper.js';
import { flushPrefix, uniquePrefix, useTestRedis } from '../helpers/test-redis.js';

type StoreKind = 'redis' | 'memory';

const redis = useTestRedis();

// ---------------------------------------------------------------------------------------------
// Providers under test. Counters live on the instance, so two apps (two instances) count apart.
// ---------------------------------------------------------------------------------------------

interface Counted {
  calls: Map<string, number>;
}

function count(self: Counted, name: string): number {
  const next = (self.calls.get(name) ?? 0) + 1;
  self.calls.set(name, next);
  return next;
}

function callsOf(self: Counted, name: string): number {
  return self.calls.get(name) ?? 0;
}

@Injectable()
class CatalogService implements Counted {
  calls = new Map<string, number>();

  /** No ttl: the module's ttl applies. */
  @ReadThrough('route:{0}')
  async route(coordinates: string): Promise<{ coordinates: string; n: number }> {
    return { coordinates, n: count(this, 'route') };
  }

  @ReadThrough('short:{0}', '2s')
  async short(id: string): Promise<{ id: string; n: number }> {
    return { id, n: count(this, 'short') };
  }

  @ReadThrough('ms:{0}', 1500)
  async millis(id: string): Promise<{ id: string; n: number }> {
    return { id, n: count(this, 'millis') };
  }

  @ReadThrough('sec:{0}', seconds(30))
  async thirty(id: string): Promise<{ id: string; n: number }> {
    return { id, n: count(this, 'thirty') };
  }

  @ReadThrough('user:{0.id}:{1}', '1m')
  async user(user: { id: string; name: string }, lang: string): Promise<{ greeting: string; n: number }> {
    return { greeting: `${lang}:${user.name}`, n: count(this, 'user') };
  }

  @ReadThrough((userId: string, lang: string) => `profile:${userId}:${lang}`, seconds(30))
  async profile(userId: string, lang: string): Promise<{ userId: string; lang: string; n: number }> {
    return { userId, lang, n: count(this, 'profile') };
  }

  /** Key omitted: `<Class>.<method>:<stable encoding of the arguments>`. */
  @ReadThrough()
  async search(_filter: Record<string, unknown>, page: number): Promise<{ page: number; n: number }> {
    return { page, n: count(this, 'search') };
  }

  /** Takes a little while, like a real upstream call, so concurrent callers overlap it. */
  @ReadThrough('slow:{0}', '1m')
  async slow(id: string): Promise<{ id: string; n: number }> {
    const n = count(this, `slow:${id}`);
    await sleep(20);
    return { id, n };
  }

  /** Returns at once: concurrent callers must still share one run. */
  @ReadThrough('instant:{0}', '1m')
  async instant(id: string): Promise<{ id: string; n: number }> {
    return { id, n: count(this, `instant:${id}`) };
  }
}

@Injectable()
class FailingService implements Counted {
  calls = new Map<string, number>();
  nextError: Error = new Error('unset');

  @ReadThrough('boom:{0}', '1m')
  async boom(_id: string): Promise<string> {
    count(this, 'boom');
    throw this.nextError;
  }

  @ReadThrough('rejecting:{0}', '1m')
  rejecting(_id: string): Promise<string> {
    count(this, 'rejecting');
    return Promise.reject(this.nextError);
  }

  /** Not `async`: throws synchronously although typed as returning a promise. */
  @ReadThrough('sync-throw:{0}', '1m')
  syncThrow(_id: string): Promise<string> {
    count(this, 'syncThrow');
    throw this.nextError;
  }

  /** Fails on the first call, succeeds afterwards. */
  @ReadThrough('flaky:{0}', '1m')
  async flaky(id: string): Promise<{ id: string; n: number }> {
    const n = count(this, 'flaky');
    if (n === 1) throw this.nextError;
    return { id, n };
  }
}

@Injectable()
class NullishService implements Counted {
  calls = new Map<string, number>();

  @ReadThrough('undef:{0}', '1m')
  async undef(_id: string): Promise<undefined> {
    count(this, 'undef');
    return undefined;
  }

  @ReadThrough('null:{0}', '1m')
  async nothing(_id: string): Promise<null> {
    count(this, 'nothing');
    return null;
  }

  @ReadThrough('null-cached:{0}', '1m', { cacheNull: true })
  async nothingCached(_id: string): Promise<null> {
    count(this, 'nothingCached');
    return null;
  }

  @ReadThrough('cond:{0}', '1m', { condition: (value: { ok: boolean }) => value.ok })
  async conditional(id: string, ok: boolean): Promise<{ ok: boolean; n: number }> {
    return { ok, n: count(this, `conditional:${id}`) };
  }

  @ReadThrough('unless:{0}', '1m', { unless: (value: { partial: boolean }) => value.partial })
  async unlessPartial(id: string, partial: boolean): Promise<{ partial: boolean; n: number }> {
    return { partial, n: count(this, `unlessPartial:${id}`) };
  }
}

@Injectable()
class MetadataService implements Counted {
  calls = new Map<string, number>();

  // Decorators apply bottom-up: SetMetadata runs BEFORE @ReadThrough here...
  @ReadThrough('meta-before:{0}', '1m')
  @SetMetadata('role', 'before')
  async before(id: string): Promise<{ id: string; n: number }> {
    return { id, n: count(this, 'before') };
  }

  // ...and AFTER @ReadThrough here.
  @SetMetadata('role', 'after')
  @ReadThrough('meta-after:{0}', '1m')
  async after(id: string): Promise<{ id: string; n: number }> {
    return { id, n: count(this, 'after') };
  }
}

@Injectable()
class BadDataService implements Counted {
  calls = new Map<string, number>();

  /** Deterministic result, so "the right value" is the same before and after an overwrite. */
  @ReadThrough('bd:{0}', '1m')
  async get(id: string): Promise<{ id: string; value: string; tags: string[] }> {
    count(this, 'get');
    return { id, value: 'the right value', tags: ['a', 'b'] };
  }
}

@Injectable()
class SerializerService implements Counted {
  calls = new Map<string, number>();

  @ReadThrough('d:{0}', '1m', { serializer: new V8Serializer() })
  async rich(id: string): Promise<{ id: string; at: Date; tags: Map<string, number>; n: number }> {
    return {
      id,
      at: new Date(Date.UTC(2020, 1, 29, 12, 0, 0)),
      tags: new Map([
        ['a', 1],
        ['b', 2],
      ]),
      n: count(this, 'rich'),
    };
  }

  /** Uses the module serializer. */
  @ReadThrough('plain:{0}', '1m')
  async plain(id: string): Promise<{ id: string; at: Date; bytes: number[]; n: number }> {
    return { id, at: new Date(Date.UTC(2021, 0, 1)), bytes: [1, 2, 3], n: count(this, 'plain') };
  }
}

/** Keys with awkward characters, in two namespaces where one name starts the other. */
@Injectable()
class KeysService implements Counted {
  calls = new Map<string, number>();

  @ReadThrough('k:{0}', '1m', { namespace: 'a' })
  async inA(text: string): Promise<{ text: string; n: number }> {
    return { text, n: count(this, `a:${text}`) };
  }

  @ReadThrough('k:{0}', '1m', { namespace: 'ab' })
  async inAb(text: string): Promise<{ text: string; n: number }> {
    return { text, n: count(this, `ab:${text}`) };
  }
}

@Injectable()
class BigValueService implements Counted {
  calls = new Map<string, number>();
  size = 10 * 1024 * 1024;

  @ReadThrough('big:{0}', '1m')
  async big(id: string): Promise<{ id: string; blob: string }> {
    count(this, 'big');
    return { id, blob: 'x'.repeat(this.size) };
  }
}

// ---------------------------------------------------------------------------------------------

describe.each<StoreKind>(['redis', 'memory'])('@ReadThrough and RedisCacheService on the %s store', (store) => {
  // Closes every app of the test, even when it failed half-way, so jest has no open handles. Its
  // afterEach is declared first in this block, so it runs before the flush below.
  const modules = trackTestingModules();
  const usedPrefixes: string[] = [];

  afterEach(async () => {
    if (store === 'redis') {
      for (const prefix of usedPrefixes.splice(0)) await flushPrefix(redis.url(), prefix);
    }
  });

  function newPrefix(label: string): string {
    const prefix = uniquePrefix(`${store}-${label}`);
    usedPrefixes.push(prefix);
    return prefix;
  }

  /** A testing module on this store; `options` go over the store's defaults. */
  function moduleOn(options: RedisCacheModuleOptions, providers: Provider[]): ModuleMetadata {
    return cacheTestingModule(
      {
        store,
        ...(store === 'redis' ? { url: redis.url() } : {}),
        // The default 300 ms deadline is about production latency, not about what these tests
        // check; on a loaded CI box a timed-out GET would fail open and run the method again,
        // turning a behaviour test into a speed test. Tests may still override it.
        operationTimeout: '5s',
        ...options,
      },
      providers,
    );
  }

  function boot(options: RedisCacheModuleOptions, providers: Provider[]): Promise<TestingModule> {
    return modules.boot(moduleOn(options, providers));
  }

  /** Remaining TTL in ms of a stored entry (redis: PTTL through redis-cli), or a negative number when absent. */
  async function remainingTtl(ref: TestingModule, prefix: string, key: string, namespace = 'default'): Promise<number> {
    if (store === 'redis') return Number(await cli(redis, 'PTTL', `${prefix}:${namespace}:${key}`));
    return (await ref.get(RedisCacheService).ttl(key, { namespace })) ?? -2;
  }

  /** Whether the exact full key `<prefix>:<namespace>:<key>` is stored (redis: EXISTS through redis-cli). */
  async function storedExactly(ref: TestingModule, fullKey: string): Promise<boolean> {
    if (store === 'redis') return (await cli(redis, 'EXISTS', fullKey)) === '1';
    return ref.get(CacheStore).has(fullKey);
  }

  // -------------------------------------------------------------------------------------------
  describe('hit and miss', () => {
    it('miss: runs the method once, returns and stores its result with the module ttl; hit: does not run it', async () => {
      const prefix = newPrefix('hit');
      const ref = await boot({ prefix, ttl: '5m' }, [CatalogService]);
      const svc = ref.get(CatalogService);
      const cache = ref.get(RedisCacheService);

      expect(await svc.route('48.1,11.5')).toEqual({ coordinates: '48.1,11.5', n: 1 });
      expect(callsOf(svc, 'route')).toBe(1);
      expect(await storedExactly(ref, `${prefix}:default:route:48.1,11.5`)).toBe(true);
      const pttl = await remainingTtl(ref, prefix, 'route:48.1,11.5');
      expect(pttl).toBeGreaterThan(0);
      expect(pttl).toBeLessThanOrEqual(5 * 60_000);
      // The module ttl, not some small internal default.
      expect(pttl).toBeGreaterThan(60_000);

      expect(await svc.route('48.1,11.5')).toEqual({ coordinates: '48.1,11.5', n: 1 });
      expect(await svc.route('48.1,11.5')).toEqual({ coordinates: '48.1,11.5', n: 1 });
      expect(callsOf(svc, 'route')).toBe(1);

      const stats = cache.stats();
      expect(stats.misses).toBe(1);
      expect(stats.hits).toBe(2);
      expect(stats.loads).toBe(1);
      expect(await cache.get('route:48.1,11.5')).toEqual({ coordinates: '48.1,11.5', n: 1 });
    });

    it('a hit returns a fresh copy: mutating a returned value does not change the cached one', async () => {
      const ref = await boot({ prefix: newPrefix('copy') }, [CatalogService]);
      const svc = ref.get(CatalogService);
      const first = await svc.route('x');
      const second = await svc.route('x');
      second.coordinates = 'mutated';
      expect(await svc.route('x')).toEqual({ coordinates: 'x', n: 1 });
      expect(first.coordinates).toBe('x');
      expect(callsOf(svc, 'route')).toBe(1);
    });

    it('after del() or clear() the next call runs the method again', async () => {
      const ref = await boot({ prefix: newPrefix('delrun') }, [CatalogService]);
      const svc = ref.get(CatalogService);
      const cache = ref.get(RedisCacheService);
      expect(await svc.route('d')).toEqual({ coordinates: 'd', n: 1 });
      expect(await cache.del('route:d')).toBe(true);
      expect(await svc.route('d')).toEqual({ coordinates: 'd', n: 2 });
      expect(await svc.route('d')).toEqual({ coordinates: 'd', n: 2 });
      expect(await cache.clear()).toBe(1);
      expect(await svc.route('d')).toEqual({ coordinates: 'd', n: 3 });
      expect(callsOf(svc, 'route')).toBe(3);
    });

    it.each([
      ['per-method "2s" over module "5m"', 'short', 2_000],
      ['per-method number of ms (1500)', 'millis', 1_500],
      ['per-method seconds(30)', 'thirty', 30_000],
    ] as const)('ttl: %s', async (_label, method, ttlMs) => {
      const prefix = newPrefix('ttl');
      const ref = await boot({ prefix, ttl: '5m' }, [CatalogService]);
      const svc = ref.get(CatalogService);
      const keyPart = { short: 'short', millis: 'ms', thirty: 'sec' }[method];

      await svc[method]('t1');
      const pttl = await remainingTtl(ref, prefix, `${keyPart}:t1`);
      expect(pttl).toBeGreaterThan(0);
      expect(pttl).toBeLessThanOrEqual(ttlMs);
      // The service sees the same remaining lifetime.
      const viaService = await ref.get(RedisCacheService).ttl(`${keyPart}:t1`);
      expect(viaService).toBeGreaterThan(0);
      expect(viaService).toBeLessThanOrEqual(ttlMs);

      await svc[method]('t1');
      expect(callsOf(svc, method)).toBe(1);
    });
  });

  // -------------------------------------------------------------------------------------------
  describe('key templates', () => {
    it("'route:{0}' stores under <prefix>:default:route:<arg>, one entry per argument", async () => {
      const prefix = newPrefix('tpl0');
      const ref = await boot({ prefix }, [CatalogService]);
      const svc = ref.get(CatalogService);
      await svc.route('a');
      await svc.route('b');
      await svc.route('a');
      expect(callsOf(svc, 'route')).toBe(2);
      expect(await storedExactly(ref, `${prefix}:default:route:a`)).toBe(true);
      expect(await storedExactly(ref, `${prefix}:default:route:b`)).toBe(true);
    });

    it("'user:{0.id}:{1}' reads a property of an argument: same id and lang is a hit whatever the other fields", async () => {
      const prefix = newPrefix('tplpath');
      const ref = await boot({ prefix }, [CatalogService]);
      const svc = ref.get(CatalogService);
      expect(await svc.user({ id: 'u1', name: 'Ada' }, 'en')).toEqual({ greeting: 'en:Ada', n: 1 });
      expect(await storedExactly(ref, `${prefix}:default:user:u1:en`)).toBe(true);
      // Only id and lang are in the key: this is a hit with the first result.
      expect(await svc.user({ id: 'u1', name: 'Other' }, 'en')).toEqual({ greeting: 'en:Ada', n: 1 });
      expect(await svc.user({ id: 'u1', name: 'Ada' }, 'de')).toEqual({ greeting: 'de:Ada', n: 2 });
      expect(await svc.user({ id: 'u2', name: 'Ada' }, 'en')).toEqual({ greeting: 'en:Ada', n: 3 });
      expect(await storedExactly(ref, `${prefix}:default:user:u1:de`)).toBe(true);
      expect(await storedExactly(ref, `${prefix}:default:user:u2:en`)).toBe(true);
      expect(callsOf(svc, 'user')).toBe(3);
    });

    it('a key function of the arguments decides the key', async () => {
      const prefix = newPrefix('tplfn');
      const ref = await boot({ prefix }, [CatalogService]);
      const svc = ref.get(CatalogService);
      expect(await svc.profile('u7', 'fr')).toEqual({ userId: 'u7', lang: 'fr', n: 1 });
      expect(await storedExactly(ref, `${prefix}:default:profile:u7:fr`)).toBe(true);
      expect(await svc.profile('u7', 'fr')).toEqual({ userId: 'u7', lang: 'fr', n: 1 });
      expect(await svc.profile('u7', 'it')).toEqual({ userId: 'u7', lang: 'it', n: 2 });
      expect(callsOf(svc, 'profile')).toBe(2);
      const pttl = await remainingTtl(ref, prefix, 'profile:u7:fr');
      expect(pttl).toBeGreaterThan(0);
      expect(pttl).toBeLessThanOrEqual(30_000);
    });

    it('omitted key: different argument lists are different entries; the same object with another key order is one entry', async () => {
      const prefix = newPrefix('tplnone');
      const ref = await boot({ prefix }, [CatalogService]);
      const svc = ref.get(CatalogService);
      const cache = ref.get(RedisCacheService);

      expect(await svc.search({ color: 'red', size: 2 }, 1)).toEqual({ page: 1, n: 1 });
      expect(await svc.search({ color: 'red', size: 2 }, 2)).toEqual({ page: 2, n: 2 });
      // Same contents, other key order: a hit on the first entry.
      expect(await svc.search({ size: 2, color: 'red' }, 1)).toEqual({ page: 1, n: 1 });
      expect(await svc.search({ size: 2, color: 'red' }, 2)).toEqual({ page: 2, n: 2 });
      // A different value is a different entry.
      expect(await svc.search({ color: 'blue', size: 2 }, 1)).toEqual({ page: 1, n: 3 });
      expect(callsOf(svc, 'search')).toBe(3);
      // Exactly three entries were written for this method.
      expect(await cache.clear()).toBe(3);
    });
  });

  // -------------------------------------------------------------------------------------------
  describe('concurrency', () => {
    it.each(['slow', 'instant'] as const)(
      '200 concurrent calls on a cold key (%s method) run it once and all get its result',
      async (method) => {
        const ref = await boot({ prefix: newPrefix('conc') }, [CatalogService]);
        const svc = ref.get(CatalogService);
        const results = await Promise.all(Array.from({ length: 200 }, () => svc[method]('cold')));
        expect(callsOf(svc, `${method}:cold`)).toBe(1);
        expect(results).toHaveLength(200);
        for (const result of results) expect(result).toEqual({ id: 'cold', n: 1 });
        // And it was stored: the next call is a hit.
        expect(await svc[method]('cold')).toEqual({ id: 'cold', n: 1 });
        expect(callsOf(svc, `${method}:cold`)).toBe(1);
      },
    );

    it('concurrent calls on 20 different keys run the method once per key', async () => {
      const ref = await boot({ prefix: newPrefix('conckeys') }, [CatalogService]);
      const svc = ref.get(CatalogService);
      const ids = Array.from({ length: 20 }, (_, i) => `id-${i}`);
      const calls = ids.flatMap((id) =>
        Array.from({ length: 10 }, () => svc.slow(id).then((result) => [id, result] as const)),
      );
      const results = await Promise.all(calls);
      for (const id of ids) expect(callsOf(svc, `slow:${id}`)).toBe(1);
      for (const [id, result] of results) expect(result).toEqual({ id, n: 1 });
    });
  });

  // -------------------------------------------------------------------------------------------
  describe('errors', () => {
    it.each([
      ['async method that throws', 'boom'],
      ['method returning a rejected promise', 'rejecting'],
      ['non-async method that throws synchronously', 'syncThrow'],
    ] as const)('%s: the same error instance reaches the caller and nothing is stored', async (_label, method) => {
      const prefix = newPrefix('err');
      const ref = await boot({ prefix }, [FailingService]);
      const svc = ref.get(FailingService);
      const keyPart = { boom: 'boom', rejecting: 'rejecting', syncThrow: 'sync-throw' }[method];

      const first = new Error('upstream down');
      svc.nextError = first;
      // Wrapped in an async function so a synchronous throw would also be caught and compared.
      await expect((async () => svc[method]('e1'))()).rejects.toBe(first);
      expect(await storedExactly(ref, `${prefix}:default:${keyPart}:e1`)).toBe(false);

      const second = new TypeError('still down');
      svc.nextError = second;
      await expect((async () => svc[method]('e1'))()).rejects.toBe(second);
      expect(callsOf(svc, method)).toBe(2);
      expect(ref.get(RedisCacheService).stats().hits).toBe(0);
    });

    it('after a failure the next call runs again and its success is stored', async () => {
      const ref = await boot({ prefix: newPrefix('flaky') }, [FailingService]);
      const svc = ref.get(FailingService);
      const error = new Error('first call fails');
      svc.nextError = error;
      await expect(svc.flaky('f')).rejects.toBe(error);
      expect(await svc.flaky('f')).toEqual({ id: 'f', n: 2 });
      expect(await svc.flaky('f')).toEqual({ id: 'f', n: 2 });
      expect(callsOf(svc, 'flaky')).toBe(2);
    });

    it('concurrent callers of a failing cold key all get the same error instance', async () => {
      const ref = await boot({ prefix: newPrefix('errconc') }, [FailingService]);
      const svc = ref.get(FailingService);
      const error = new Error('shared failure');
      svc.nextError = error;
      const settled = await Promise.allSettled(Array.from({ length: 20 }, () => svc.boom('c')));
      for (const outcome of settled) {
        expect(outcome.status).toBe('rejected');
        expect((outcome as PromiseRejectedResult).reason).toBe(error);
      }
    });
  });

  // -------------------------------------------------------------------------------------------
  describe('what gets stored', () => {
    it('undefined is never stored: the method runs on every call', async () => {
      const prefix = newPrefix('undef');
      const ref = await boot({ prefix, cacheNull: true }, [NullishService]);
      const svc = ref.get(NullishService);
      expect(await svc.undef('u')).toBeUndefined();
      expect(await svc.undef('u')).toBeUndefined();
      expect(await svc.undef('u')).toBeUndefined();
      expect(callsOf(svc, 'undef')).toBe(3);
      expect(await storedExactly(ref, `${prefix}:default:undef:u`)).toBe(false);
    });

    it('null is not stored by default', async () => {
      const prefix = newPrefix('nullno');
      const ref = await boot({ prefix }, [NullishService]);
      const svc = ref.get(NullishService);
      expect(await svc.nothing('n')).toBeNull();
      expect(await svc.nothing('n')).toBeNull();
      expect(callsOf(svc, 'nothing')).toBe(2);
      expect(await storedExactly(ref, `${prefix}:default:null:n`)).toBe(false);
    });

    it('null is stored with module cacheNull: true, and a hit returns null', async () => {
      const prefix = newPrefix('nullmod');
      const ref = await boot({ prefix, cacheNull: true }, [NullishService]);
      const svc = ref.get(NullishService);
      expect(await svc.nothing('n')).toBeNull();
      expect(await storedExactly(ref, `${prefix}:default:null:n`)).toBe(true);
      expect(await svc.nothing('n')).toBeNull();
      expect(callsOf(svc, 'nothing')).toBe(1);
    });

    it('null is stored with per-method { cacheNull: true } while the module default stays false', async () => {
      const prefix = newPrefix('nullmeth');
      const ref = await boot({ prefix }, [NullishService]);
      const svc = ref.get(NullishService);
      expect(await svc.nothingCached('n')).toBeNull();
      expect(await svc.nothingCached('n')).toBeNull();
      expect(callsOf(svc, 'nothingCached')).toBe(1);
      expect(await storedExactly(ref, `${prefix}:default:null-cached:n`)).toBe(true);
      // The other method still follows the module default.
      await svc.nothing('n');
      await svc.nothing('n');
      expect(callsOf(svc, 'nothing')).toBe(2);
    });

    it('condition(value) decides per result whether it is stored', async () => {
      const prefix = newPrefix('cond');
      const ref = await boot({ prefix }, [NullishService]);
      const svc = ref.get(NullishService);
      expect(await svc.conditional('no', false)).toEqual({ ok: false, n: 1 });
      expect(await svc.conditional('no', false)).toEqual({ ok: false, n: 2 });
      expect(await storedExactly(ref, `${prefix}:default:cond:no`)).toBe(false);

      expect(await svc.conditional('yes', true)).toEqual({ ok: true, n: 1 });
      expect(await svc.conditional('yes', true)).toEqual({ ok: true, n: 1 });
      expect(await storedExactly(ref, `${prefix}:default:cond:yes`)).toBe(true);
    });

    it('unless(value) decides per result whether it is NOT stored', async () => {
      const prefix = newPrefix('unless');
      const ref = await boot({ prefix }, [NullishService]);
      const svc = ref.get(NullishService);
      expect(await svc.unlessPartial('p', true)).toEqual({ partial: true, n: 1 });
      expect(await svc.unlessPartial('p', true)).toEqual({ partial: true, n: 2 });
      expect(await storedExactly(ref, `${prefix}:default:unless:p`)).toBe(false);

      expect(await svc.unlessPartial('full', false)).toEqual({ partial: false, n: 1 });
      expect(await svc.unlessPartial('full', false)).toEqual({ partial: false, n: 1 });
      expect(await storedExactly(ref, `${prefix}:default:unless:full`)).toBe(true);
    });
  });

  // -------------------------------------------------------------------------------------------
  describe('the decorated method', () => {
    it('keeps its name', () => {
      expect(CatalogService.prototype.route.name).toBe('route');
      expect(CatalogService.prototype.profile.name).toBe('profile');
      expect(MetadataService.prototype.before.name).toBe('before');
      expect(MetadataService.prototype.after.name).toBe('after');
    });

    it('keeps metadata of a decorator applied before and after @ReadThrough, and still caches', async () => {
      const ref = await boot({ prefix: newPrefix('meta') }, [MetadataService]);
      expect(Reflect.getMetadata('role', MetadataService.prototype.before)).toBe('before');
      expect(Reflect.getMetadata('role', MetadataService.prototype.after)).toBe('after');
      const reflector = ref.get(Reflector);
      expect(reflector.get('role', MetadataService.prototype.before)).toBe('before');
      expect(reflector.get('role', MetadataService.prototype.after)).toBe('after');

      const svc = ref.get(MetadataService);
      expect(reflector.get('role', svc.before)).toBe('before');
      expect(reflector.get('role', svc.after)).toBe('after');
      await svc.before('1');
      await svc.before('1');
      await svc.after('1');
      await svc.after('1');
      expect(callsOf(svc, 'before')).toBe(1);
      expect(callsOf(svc, 'after')).toBe(1);
    });

    it('an instance created with `new` outside Nest runs uncached, while the Nest instance caches', async () => {
      const ref = await boot({ prefix: newPrefix('plain') }, [CatalogService]);
      const plain = new CatalogService();
      expect(await plain.route('p')).toEqual({ coordinates: 'p', n: 1 });
      expect(await plain.route('p')).toEqual({ coordinates: 'p', n: 2 });
      expect(await plain.route('p')).toEqual({ coordinates: 'p', n: 3 });
      expect(callsOf(plain, 'route')).toBe(3);

      const managed = ref.get(CatalogService);
      await managed.route('p');
      await managed.route('p');
      expect(callsOf(managed, 'route')).toBe(1);
      // The managed instance's entry did not make the plain instance cached either.
      await plain.route('p');
      expect(callsOf(plain, 'route')).toBe(4);
    });

    it('two Nest apps in one process with different prefixes cache separately', async () => {
      const prefixA = newPrefix('appA');
      const prefixB = newPrefix('appB');
      const refA = await boot({ prefix: prefixA }, [CatalogService]);
      const refB = await boot({ prefix: prefixB }, [CatalogService]);
      const a = refA.get(CatalogService);
      const b = refB.get(CatalogService);
      expect(a).not.toBe(b);

      expect(await a.route('shared')).toEqual({ coordinates: 'shared', n: 1 });
      expect(await storedExactly(refA, `${prefixA}:default:route:shared`)).toBe(true);
      // Stored by app A, yet a miss for app B.
      expect(await b.route('shared')).toEqual({ coordinates: 'shared', n: 1 });
      expect(callsOf(b, 'route')).toBe(1);
      expect(await storedExactly(refB, `${prefixB}:default:route:shared`)).toBe(true);

      await a.route('shared');
      await b.route('shared');
      expect(callsOf(a, 'route')).toBe(1);
      expect(callsOf(b, 'route')).toBe(1);
      expect(refA.get(RedisCacheService).stats()).toMatchObject({ hits: 1, misses: 1 });
      expect(refB.get(RedisCacheService).stats()).toMatchObject({ hits: 1, misses: 1 });

      // Closing app A leaves app B caching.
      await modules.close(refA);
      expect(await b.route('shared')).toEqual({ coordinates: 'shared', n: 1 });
      expect(callsOf(b, 'route')).toBe(1);
    });
  });

  // -------------------------------------------------------------------------------------------
  describe('bad stored data: a miss, logged, counted and overwritten', () => {
    /**
     * Plants `plant()` at the key of `get('a')`, then checks: the method runs, the caller gets
     * the right value, a warning names the key, the rejection is counted, the entry is
     * overwritten (next call is a hit with the right value and the entry has a TTL).
     */
    async function expectRecovered(ref: TestingModule, prefix: string, logger: CapturingLogger): Promise<void> {
      const svc = ref.get(BadDataService);
      const cache = ref.get(RedisCacheService);
      const fullKey = `${prefix}:default:bd:a`;
      const before = cache.stats().rejectedEntries;
      const callsBefore = callsOf(svc, 'get');

      expect(await svc.get('a')).toEqual({ id: 'a', value: 'the right value', tags: ['a', 'b'] });
      expect(callsOf(svc, 'get')).toBe(callsBefore + 1);
      expect(cache.stats().rejectedEntries).toBe(before + 1);
      const warnings = logger.filter({ level: 'warn', context: 'RedisCache' });
      expect(warnings.some((entry) => typeof entry.message === 'string' && entry.message.includes(fullKey))).toBe(true);

      // Overwritten: the stored entry now decodes to the right value, and the next call is a
      // hit (read from the store, not a run) with the right value.
      expect(await cache.get('bd:a')).toEqual({ id: 'a', value: 'the right value', tags: ['a', 'b'] });
      const hitsBefore = cache.stats().hits;
      expect(await svc.get('a')).toEqual({ id: 'a', value: 'the right value', tags: ['a', 'b'] });
      expect(callsOf(svc, 'get')).toBe(callsBefore + 1);
      expect(cache.stats().hits).toBe(hitsBefore + 1);
      expect(cache.stats().rejectedEntries).toBe(before + 1);
      // The overwrite carries a TTL (the planted redis garbage had none: PTTL would be -1).
      expect(await remainingTtl(ref, prefix, 'bd:a')).toBeGreaterThan(0);
    }

    async function bootWithLogger(options: RedisCacheModuleOptions): Promise<Captured> {
      return initCapturing(await modules.compile(moduleOn(options, [BadDataService])));
    }

    it("garbage bytes ('not ours') at the key", async () => {
      const prefix = newPrefix('garbage');
      const { ref, logger } = await bootWithLogger({ prefix });
      const fullKey = `${prefix}:default:bd:a`;
      if (store === 'redis') {
        // No TTL on purpose: after the overwrite the entry must have one.
        expect(await cli(redis, 'SET', fullKey, 'not ours')).toBe('OK');
      } else {
        await ref.get(CacheStore).set(fullKey, Buffer.from('not ours'), 60_000);
      }
      await expectRecovered(ref, prefix, logger);
    });

    it.each([
      ['payload', 3],
      ['header', 0],
    ] as const)('a valid entry truncated inside its %s', async (_where, cut) => {
      const prefix = newPrefix('trunc');
      const { ref, logger } = await bootWithLogger({ prefix });
      const fullKey = `${prefix}:default:bd:a`;
      const cacheStore = ref.get(CacheStore);
      // A valid entry, written through the service (not a method call, so no run is in flight).
      expect(await ref.get(RedisCacheService).set('bd:a', { id: 'a', value: 'stale but valid', tags: [] })).toBe(true);
      const valid = await cacheStore.get(fullKey);
      expect(valid).not.toBeNull();
      // Payload: drop the last bytes of the JSON; header: keep only the first 10 bytes.
      const truncated = cut > 0 ? valid!.subarray(0, valid!.length - cut) : valid!.subarray(0, 10);
      await cacheStore.set(fullKey, Buffer.from(truncated), 60_000);
      await expectRecovered(ref, prefix, logger);
    });

    it('an entry written by another serializer (v8) is not decoded by the JSON module', async () => {
      const prefix = newPrefix('otherser');
      const fullKey = `${prefix}:default:bd:a`;
      let ref: TestingModule;
      let logger: CapturingLogger;
      if (store === 'redis') {
        // App 1 (v8) writes; app 2 (JSON) reads the same prefix.
        const writer = await boot({ prefix, serializer: 'v8' }, [BadDataService]);
        await writer.get(BadDataService).get('a');
        expect(await cli(redis, 'EXISTS', fullKey)).toBe('1');
        ({ ref, logger } = await bootWithLogger({ prefix }));
      } else {
        ({ ref, logger } = await bootWithLogger({ prefix }));
        // Memory stores are per app, so the v8 entry is written through this app's service.
        expect(await ref.get(RedisCacheService).set('bd:a', { id: 'a', value: 'v8 value' }, { serializer: 'v8' })).toBe(
          true,
        );
        expect(await ref.get(CacheStore).has(fullKey)).toBe(true);
      }
      await expectRecovered(ref, prefix, logger);
    });

    it('a garbage entry is never handed to the caller through RedisCacheService.get either', async () => {
      const prefix = newPrefix('garbageget');
      const { ref, logger } = await bootWithLogger({ prefix });
      const fullKey = `${prefix}:default:plain`;
      if (store === 'redis') expect(await cli(redis, 'SET', fullKey, '{"looks":"like json"}')).toBe('OK');
      else await ref.get(CacheStore).set(fullKey, Buffer.from('{"looks":"like json"}'), 60_000);
      const cache = ref.get(RedisCacheService);
      expect(await cache.get('plain')).toBeUndefined();
      expect(cache.stats().rejectedEntries).toBe(1);
      expect(logger.filter({ level: 'warn', context: 'RedisCache' }).length).toBeGreaterThan(0);
    });
  });

  // -------------------------------------------------------------------------------------------
  describe('serializers', () => {
    it('per-method V8Serializer: a hit returns a real Date and Map', async () => {
      const prefix = newPrefix('v8');
      const ref = await boot({ prefix }, [SerializerService]);
      const svc = ref.get(SerializerService);
      await svc.rich('r');
      const hit = await svc.rich('r');
      expect(callsOf(svc, 'rich')).toBe(1);
      // util.types, not instanceof: node:v8 builds objects in Node's main realm, and jest runs
      // this file in a vm context with its own Date and Map constructors.
      expect(types.isDate(hit.at)).toBe(true);
      expect(hit.at.toISOString()).toBe('2020-02-29T12:00:00.000Z');
      expect(types.isMap(hit.tags)).toBe(true);
      expect([...hit.tags]).toEqual([
        ['a', 1],
        ['b', 2],
      ]);
      const raw = await ref.get(CacheStore).get(`${prefix}:default:d:r`);
      expect(raw).not.toBeNull();
      expect(raw!.includes(Buffer.from('v8'))).toBe(true);

      // The JSON default still applies to the other method: JSON would hand its Date back as a
      // string, so the result is never stored and every call gets a real Date from the method.
      await svc.plain('p');
      const second = await svc.plain('p');
      expect(callsOf(svc, 'plain')).toBe(2);
      expect(second.at).toBeInstanceOf(Date);
      expect(await ref.get(CacheStore).has(`${prefix}:default:plain:p`)).toBe(false);
    });

    it("module default serializer: 'msgpack' round-trips a Date on a hit", async () => {
      const prefix = newPrefix('msgpack');
      const ref = await boot({ prefix, serializer: 'msgpack' }, [SerializerService]);
      const svc = ref.get(SerializerService);
      const miss = await svc.plain('m');
      const hit = await svc.plain('m');
      expect(callsOf(svc, 'plain')).toBe(1);
      expect(hit).toEqual(miss);
      expect(types.isDate(hit.at)).toBe(true);
      expect(hit.bytes).toEqual([1, 2, 3]);
      const raw = await ref.get(CacheStore).get(`${prefix}:default:plain:m`);
      expect(raw!.includes(Buffer.from('msgpack'))).toBe(true);
    });
  });

  // -------------------------------------------------------------------------------------------
  describe('RedisCacheService', () => {
    it('set / get / has / del', async () => {
      const prefix = newPrefix('svc');
      const ref = await boot({ prefix, ttl: '5m' }, []);
      const cache = ref.get(RedisCacheService);

      expect(await cache.get('k')).toBeUndefined();
      expect(await cache.has('k')).toBe(false);

      expect(await cache.set('k', { a: 1, list: [1, 'two'] })).toBe(true);
      expect(await cache.get('k')).toEqual({ a: 1, list: [1, 'two'] });
      expect(await cache.has('k')).toBe(true);
      expect(await storedExactly(ref, `${prefix}:default:k`)).toBe(true);

      expect(await cache.set('ns', 'in other', { namespace: 'other' })).toBe(true);
      expect(await cache.get('ns')).toBeUndefined();
      expect(await cache.get('ns', { namespace: 'other' })).toBe('in other');
      expect(await storedExactly(ref, `${prefix}:other:ns`)).toBe(true);

      expect(await cache.del('k')).toBe(true);
      expect(await cache.del('k')).toBe(false);
      expect(await cache.has('k')).toBe(false);
      expect(await cache.get('k')).toBeUndefined();
      expect(await storedExactly(ref, `${prefix}:default:k`)).toBe(false);
    });

    it('ttl: undefined for a missing key, the module ttl by default, the ttl option when given', async () => {
      const prefix = newPrefix('svcttl');
      const ref = await boot({ prefix, ttl: '5m' }, []);
      const cache = ref.get(RedisCacheService);
      expect(await cache.ttl('k')).toBeUndefined();

      expect(await cache.set('k', 'v')).toBe(true);
      const ttl = await cache.ttl('k');
      expect(ttl).toBeGreaterThan(60_000);
      expect(ttl).toBeLessThanOrEqual(5 * 60_000);

      expect(await cache.set('short', 'v', { ttl: '2s' })).toBe(true);
      const shortTtl = await remainingTtl(ref, prefix, 'short');
      expect(shortTtl).toBeGreaterThan(0);
      expect(shortTtl).toBeLessThanOrEqual(2_000);
      const shortViaService = await cache.ttl('short');
      expect(shortViaService).toBeGreaterThan(0);
      expect(shortViaService).toBeLessThanOrEqual(2_000);
    });

    it('ttl() never reports more than the ttl an entry was stored with, in whole milliseconds like PTTL', async () => {
      const ref = await boot({ prefix: newPrefix('svcttlbound') }, []);
      const cache = ref.get(RedisCacheService);
      expect(await cache.set('anchor', 'a', { ttl: '1m' })).toBe(true);
      for (let i = 0; i < 5; i++) {
        // Reading another live entry right before the write, as any busy app does.
        expect(await cache.ttl('anchor')).toBeGreaterThan(0);
        expect(await cache.set(`bounded-${i}`, i, { ttl: 1_000 })).toBe(true);
        const remaining = await cache.ttl(`bounded-${i}`);
        expect(remaining).toBeGreaterThan(0);
        expect(remaining).toBeLessThanOrEqual(1_000);
        expect(Number.isInteger(remaining)).toBe(true);
      }
    });

    it('set of undefined returns false and stores nothing', async () => {
      const prefix = newPrefix('svcundef');
      const ref = await boot({ prefix }, []);
      const cache = ref.get(RedisCacheService);
      expect(await cache.set('u', undefined)).toBe(false);
      expect(await cache.has('u')).toBe(false);
      expect(await storedExactly(ref, `${prefix}:default:u`)).toBe(false);
    });

    it('wrap runs the factory once, then hits', async () => {
      const ref = await boot({ prefix: newPrefix('wrap') }, []);
      const cache = ref.get(RedisCacheService);
      let runs = 0;
      const factory = async (): Promise<{ rate: number; run: number }> => ({ rate: 1.08, run: ++runs });
      expect(await cache.wrap('rates', factory, { ttl: '30s' })).toEqual({ rate: 1.08, run: 1 });
      expect(await cache.wrap('rates', factory, { ttl: '30s' })).toEqual({ rate: 1.08, run: 1 });
      expect(await cache.wrap('rates', factory)).toEqual({ rate: 1.08, run: 1 });
      expect(runs).toBe(1);
      const ttl = await cache.ttl('rates');
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(30_000);
      expect(cache.stats()).toMatchObject({ hits: 2, misses: 1, loads: 1 });
    });

    it('50 concurrent wrap calls on a cold key run the factory once', async () => {
      const ref = await boot({ prefix: newPrefix('wrapconc') }, []);
      const cache = ref.get(RedisCacheService);
      let runs = 0;
      const factory = async (): Promise<{ run: number }> => {
        runs++;
        await sleep(10);
        return { run: runs };
      };
      const results = await Promise.all(Array.from({ length: 50 }, () => cache.wrap('cold', factory)));
      expect(runs).toBe(1);
      for (const result of results) expect(result).toEqual({ run: 1 });
    });

    it('stats() counts hits and misses of decorated methods and wrap', async () => {
      const ref = await boot({ prefix: newPrefix('stats') }, [CatalogService]);
      const cache = ref.get(RedisCacheService);
      const svc = ref.get(CatalogService);
      expect(cache.stats()).toMatchObject({ hits: 0, misses: 0 });
      await svc.route('1'); // miss
      await svc.route('1'); // hit
      await svc.route('2'); // miss
      await cache.wrap('w', () => 'w'); // miss
      await cache.wrap('w', () => 'w'); // hit
      await svc.route('1'); // hit
      expect(cache.stats()).toMatchObject({ hits: 3, misses: 3, loads: 3 });
    });

    it('clear(namespace) deletes only that namespace', async () => {
      const prefix = newPrefix('clearns');
      const ref = await boot({ prefix }, []);
      const cache = ref.get(RedisCacheService);
      await cache.set('x', 1, { namespace: 'a' });
      await cache.set('y', 2, { namespace: 'a' });
      await cache.set('x', 3, { namespace: 'ab' });
      await cache.set('x', 4, { namespace: 'b' });
      await cache.set('x', 5);

      expect(await cache.clear('a')).toBe(2);
      expect(await cache.has('x', { namespace: 'a' })).toBe(false);
      expect(await cache.has('y', { namespace: 'a' })).toBe(false);
      expect(await cache.get('x', { namespace: 'ab' })).toBe(3);
      expect(await cache.get('x', { namespace: 'b' })).toBe(4);
      expect(await cache.get('x')).toBe(5);
    });

    it('clear() deletes the whole prefix and nothing outside it', async () => {
      const prefix = newPrefix('clearall');
      const ref = await boot({ prefix }, []);
      const cache = ref.get(RedisCacheService);
      await cache.set('x', 1);
      await cache.set('x', 2, { namespace: 'a' });
      await cache.set('y', 3, { namespace: 'b' });

      const suffix = randomBytes(4).toString('hex');
      const otherPrefix = newPrefix('other');
      const outside = [
        `${otherPrefix}:default:x`,
        // Starts with our prefix text, but is another prefix.
        `${prefix}x:default:x`,
        `outside-${suffix}`,
      ];
      if (store === 'redis') {
        for (const key of outside) expect(await cli(redis, 'SET', key, 'keep me')).toBe('OK');
      }
      try {
        expect(await cache.clear()).toBe(3);
        expect(await cache.has('x')).toBe(false);
        expect(await cache.has('x', { namespace: 'a' })).toBe(false);
        expect(await cache.has('y', { namespace: 'b' })).toBe(false);
        if (store === 'redis') {
          for (const key of outside) expect(await cli(redis, 'GET', key)).toBe('keep me');
        }
        // The cache keeps working after a clear.
        expect(await cache.set('x', 9)).toBe(true);
        expect(await cache.get('x')).toBe(9);
      } finally {
        if (store === 'redis') await cli(redis, 'DEL', ...outside);
      }
    });
  });

  // -------------------------------------------------------------------------------------------
  describe('keys stay inert', () => {
    // CR/LF, glob characters, spaces, a separator, a percent sign and non-ASCII text.
    const awkward = 'line1\r\nline2 * ? [x] a:b 100% ü 🙂';
    // ':' and '%' are percent-encoded by the template; everything else is kept as is.
    const escaped = 'line1\r\nline2 * ? [x] a%3Ab 100%25 ü 🙂';

    it('arguments with CR/LF, *, ?, spaces and unicode are stored under the exact escaped key', async () => {
      const prefix = newPrefix('inert');
      const ref = await boot({ prefix }, [KeysService]);
      const svc = ref.get(KeysService);

      expect(await svc.inA(awkward)).toEqual({ text: awkward, n: 1 });
      expect(await storedExactly(ref, `${prefix}:a:k:${escaped}`)).toBe(true);
      expect(await ref.get(CacheStore).has(`${prefix}:a:k:${escaped}`)).toBe(true);
      expect(await svc.inA(awkward)).toEqual({ text: awkward, n: 1 });

      // Glob characters are literal: '*' and '?' are distinct keys, neither matches the other.
      expect(await svc.inA('*')).toEqual({ text: '*', n: 1 });
      expect(await svc.inA('?')).toEqual({ text: '?', n: 1 });
      expect(await svc.inA('x')).toEqual({ text: 'x', n: 1 });
      expect(await svc.inA('*')).toEqual({ text: '*', n: 1 });
      expect(await storedExactly(ref, `${prefix}:a:k:*`)).toBe(true);
      expect(await storedExactly(ref, `${prefix}:a:k:?`)).toBe(true);
      // A separator inside an argument does not reach another key.
      expect(await svc.inA('a:b')).toEqual({ text: 'a:b', n: 1 });
      expect(await storedExactly(ref, `${prefix}:a:k:a%3Ab`)).toBe(true);
      expect(await storedExactly(ref, `${prefix}:a:k:a:b`)).toBe(false);
    });

    it("clear('a') does not delete keys of namespace 'ab', even with glob characters in the keys", async () => {
      const prefix = newPrefix('inertclear');
      const ref = await boot({ prefix }, [KeysService]);
      const svc = ref.get(KeysService);
      const cache = ref.get(RedisCacheService);

      for (const text of [awkward, '*', '?']) {
        await svc.inA(text);
        await svc.inAb(text);
      }
      expect(await cache.clear('a')).toBe(3);

      // Namespace 'a' is gone.
      for (const text of [awkward, '*', '?'])
        expect(await cache.has(`k:${text.replace(/%/g, '%25').replace(/:/g, '%3A')}`, { namespace: 'a' })).toBe(false);
      expect(await storedExactly(ref, `${prefix}:a:k:${escaped}`)).toBe(false);
      expect(await storedExactly(ref, `${prefix}:a:k:*`)).toBe(false);
      // Namespace 'ab' is intact: all hits.
      for (const text of [awkward, '*', '?']) {
        expect(await svc.inAb(text)).toEqual({ text, n: 1 });
        expect(callsOf(svc, `ab:${text}`)).toBe(1);
      }
      expect(await storedExactly(ref, `${prefix}:ab:k:${escaped}`)).toBe(true);
    });
  });

  // -------------------------------------------------------------------------------------------
  describe('value size', () => {
    it('a 10 MB value round-trips under the default maxValueBytes (16 MiB)', async () => {
      const prefix = newPrefix('big');
      // Only maxValueBytes stays at its default here. A 10 MB GET through node-redis took
      // 0.8-1.1 s on the 2-CPU CI box (plain node, outside jest), far over the 300 ms default
      // deadline, and this test is about size, not speed.
      const ref = await boot({ prefix, operationTimeout: '30s' }, [BigValueService]);
      const svc = ref.get(BigValueService);
      const miss = await svc.big('b');
      expect(miss.blob).toHaveLength(10 * 1024 * 1024);
      expect(await storedExactly(ref, `${prefix}:default:big:b`)).toBe(true);
      const hit = await svc.big('b');
      expect(callsOf(svc, 'big')).toBe(1);
      expect(hit.id).toBe('b');
      expect(hit.blob).toHaveLength(10 * 1024 * 1024);
      expect(hit.blob === miss.blob).toBe(true);
      expect(ref.get(RedisCacheService).stats()).toMatchObject({
        skippedWrites: 0,
        storeErrors: 0,
        rejectedEntries: 0,
      });
    });

    it('a value bigger than maxValueBytes is returned but not stored', async () => {
      const prefix = newPrefix('oversize');
      const ref = await boot({ prefix, maxValueBytes: 1024 }, [BigValueService]);
      const svc = ref.get(BigValueService);
      svc.size = 2_000;
      const first = await svc.big('o');
      expect(first).toEqual({ id: 'o', blob: 'x'.repeat(2_000) });
      expect(await storedExactly(ref, `${prefix}:default:big:o`)).toBe(false);
      expect(await svc.big('o')).toEqual({ id: 'o', blob: 'x'.repeat(2_000) });
      expect(callsOf(svc, 'big')).toBe(2);
      expect(ref.get(RedisCacheService).stats().skippedWrites).toBe(2);

      // A value that fits is still cached by the same module.
      svc.size = 100;
      await svc.big('small');
      await svc.big('small');
      expect(callsOf(svc, 'big')).toBe(3);
    });
  });
});

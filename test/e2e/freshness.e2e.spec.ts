/**
 * Freshness control (README "Freshness"): `ttl` as a function of the result, `negativeTtl`,
 * `forceFresh`, and the soft / hard method timeouts, on both stores. Assertions are about what
 * callers get, how often the method ran and how long entries live, never about speed.
 */
import 'reflect-metadata';
import { setTimeout as sleep } from 'node:timers/promises';
import { Injectable } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import {
  ReadThrough,
  ReadThroughTimeoutError,
  RedisCacheService,
  errors,
  type RedisCacheModuleOptions,
} from '../../lib/index.js';
import { cacheTestingModule, trackTestingModules } from '../helpers/nest-testing.helper.js';
import { eventually } from '../helpers/polling.helper.js';
import { flushPrefix, uniquePrefix, useTestRedis } from '../helpers/test-redis.js';

type StoreKind = 'redis' | 'memory';

const redis = useTestRedis();

interface Token {
  value: string;
  expiresInMs: number;
}

@Injectable()
class FreshnessService {
  runs = new Map<string, number>();
  slowMs = 0;

  private run(name: string): number {
    const n = (this.runs.get(name) ?? 0) + 1;
    this.runs.set(name, n);
    return n;
  }

  /** Cached until the token expires, minus a safety margin; an already expired one is not stored. */
  @ReadThrough('token:{0}', (token: Token) => token.expiresInMs - 100)
  async token(id: string, expiresInMs: number): Promise<Token> {
    return { value: `${id}-${this.run('token')}`, expiresInMs };
  }

  @ReadThrough('throwing-ttl:{0}', () => {
    throw new Error('ttl function failure');
  })
  async throwingTtl(id: string): Promise<{ id: string; n: number }> {
    return { id, n: this.run('throwingTtl') };
  }

  @ReadThrough('user:{0}', '1m', { negativeTtl: '300ms' })
  async user(id: string): Promise<{ id: string } | null> {
    this.run('user');
    return id === 'ghost' ? null : { id };
  }

  @ReadThrough('soft:{0}', '300ms', { staleWhileRevalidate: '1m', timeout: { soft: '100ms' } })
  async soft(id: string): Promise<{ id: string; n: number }> {
    const n = this.run('soft');
    if (n > 1) await sleep(this.slowMs);
    return { id, n };
  }

  @ReadThrough('hard:{0}', '1m', { timeout: { hard: '150ms' } })
  async hard(id: string): Promise<{ id: string; n: number }> {
    const n = this.run('hard');
    await sleep(this.slowMs);
    return { id, n };
  }
}

describe.each<StoreKind>(['redis', 'memory'])('freshness control on the %s store', (store) => {
  const modules = trackTestingModules();
  const prefixes: string[] = [];
  afterEach(async () => {
    if (store === 'redis') for (const prefix of prefixes.splice(0)) await flushPrefix(redis.url(), prefix);
  });

  async function boot(label: string, extra: RedisCacheModuleOptions = {}) {
    const prefix = uniquePrefix(`fresh-${store}-${label}`);
    prefixes.push(prefix);
    const ref: TestingModule = await modules.boot(
      cacheTestingModule(
        { store, ...(store === 'redis' ? { url: redis.url() } : {}), prefix, operationTimeout: '5s', ...extra },
        [FreshnessService],
      ),
    );
    return { svc: ref.get(FreshnessService), cache: ref.get(RedisCacheService) };
  }

  it('ttl as a function of the result: each entry lives as long as the value says; 0 or less is not stored', async () => {
    const { svc, cache } = await boot('ttl-fn');
    const long = await svc.token('long', 60_000);
    expect(await svc.token('long', 60_000)).toEqual(long);
    expect(svc.runs.get('token')).toBe(1);
    const remaining = await cache.ttl('token:long');
    expect(remaining).toBeGreaterThan(58_000);
    expect(remaining).toBeLessThanOrEqual(59_900);

    await svc.token('brief', 400);
    expect(await cache.ttl('token:brief')).toBeLessThanOrEqual(300);
    await sleep(350);
    await svc.token('brief', 400);
    expect(svc.runs.get('token')).toBe(3);

    // expiresInMs 50 → ttl -50: not stored, the method runs every time.
    await svc.token('expired', 50);
    await svc.token('expired', 50);
    expect(svc.runs.get('token')).toBe(5);
    expect(await cache.has('token:expired')).toBe(false);
  });

  it('a ttl function that throws never fails the call: the result is returned, not stored', async () => {
    const { svc, cache } = await boot('ttl-throws');
    expect(await svc.throwingTtl('a')).toEqual({ id: 'a', n: 1 });
    expect(await svc.throwingTtl('a')).toEqual({ id: 'a', n: 2 });
    expect(await cache.has('throwing-ttl:a')).toBe(false);
  });

  it('negativeTtl: null is cached for its own short time, other results for the TTL', async () => {
    const { svc, cache } = await boot('negative');
    expect(await svc.user('ghost')).toBeNull();
    expect(await svc.user('ghost')).toBeNull();
    expect(svc.runs.get('user')).toBe(1);
    expect(await cache.ttl('user:ghost')).toBeLessThanOrEqual(300);
    await svc.user('alice');
    expect(await cache.ttl('user:alice')).toBeGreaterThan(50_000);
    await sleep(350);
    expect(await svc.user('ghost')).toBeNull();
    expect(svc.runs.get('user')).toBe(3);
  });

  it('forceFresh runs the factory although a fresh entry exists, and stores its result', async () => {
    const { cache } = await boot('force');
    let n = 0;
    const load = (forceFresh?: boolean) => cache.wrap('f', async () => ++n, { ttl: '1m', forceFresh });
    expect(await load()).toBe(1);
    expect(await load()).toBe(1);
    expect(await load(true)).toBe(2);
    expect(await load()).toBe(2);
  });

  it('forceFresh does not join a load already running for the key: it runs and its value wins', async () => {
    const { cache } = await boot('force-inflight');
    let n = 0;
    const slow = cache.wrap('fi', async () => (await sleep(300), ++n), { ttl: '1m' });
    await sleep(50);
    const forced = await cache.wrap('fi', async () => ++n, { ttl: '1m', forceFresh: true });
    expect(forced).toBe(1);
    expect(await slow).toBe(2);
    // The forced value was stored first; the older load's later write does not overwrite it.
    expect(await cache.wrap('fi', async () => ++n, { ttl: '1m' })).toBe(1);
  });

  it('timeout.soft: a stale caller waits at most soft, then gets the stale value; the refresh still stores', async () => {
    const { svc } = await boot('soft');
    expect(await svc.soft('s')).toEqual({ id: 's', n: 1 });
    await sleep(350);
    // Refresh slower than soft: the stale value after ~100 ms, the refresh lands later.
    svc.slowMs = 400;
    const started = Date.now();
    expect(await svc.soft('s')).toEqual({ id: 's', n: 1 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    expect(await eventually(3_000, async () => (await svc.soft('s')).n === 2)).toBe(true);
    // Refresh faster than soft: the stale caller gets the fresh value.
    await sleep(350);
    svc.slowMs = 10;
    expect(await svc.soft('s')).toEqual({ id: 's', n: 3 });
  });

  it('timeout.hard: the caller rejects with ReadThroughTimeoutError; the method finishes and its result is stored', async () => {
    const { svc } = await boot('hard');
    svc.slowMs = 400;
    const error = await svc.hard('h').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReadThroughTimeoutError);
    expect(error).toBeInstanceOf(errors.E_REDIS_CACHE_READ_THROUGH_TIMEOUT);
    expect((error as ReadThroughTimeoutError).timeoutMs).toBe(150);
    expect((error as Error).message).toContain('FreshnessService.hard');
    // Joined callers are bounded too.
    expect(await eventually(3_000, async () => (await svc.hard('h').catch(() => undefined))?.n === 1)).toBe(true);
    expect(svc.runs.get('hard')).toBe(1);
    // A fast method is unaffected.
    svc.slowMs = 0;
    expect(await svc.hard('fast')).toEqual({ id: 'fast', n: 2 });
  });
});

describe('freshness options that cannot be honoured fail at bootstrap', () => {
  const modules = trackTestingModules();

  it.each([
    ['soft >= hard', { timeout: { soft: '2s', hard: '1s' } }, /timeout.*soft \(2000 ms\) must be shorter than hard/],
    ['negativeTtl 0', { negativeTtl: 0 }, /negativeTtl/],
    ['tags not an array', { tags: 'books' }, /tags.*expected an array/],
    ['unbalanced tag template', { tags: ['author:{0'] }, /tags/],
  ])('%s', async (_name, options, message) => {
    @Injectable()
    class Bad {
      @ReadThrough('k:{0}', '1m', options as never)
      async find(id: string): Promise<string> {
        return id;
      }
    }
    await expect(modules.boot(cacheTestingModule({ store: 'memory' }, [Bad]))).rejects.toThrow(message);
  });
});

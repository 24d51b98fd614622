/**
 * An eviction (or a newer write) while another process is loading the same entry: the load that
 * started before it must not write its older value back. Process B (evict-worker.mjs, on the
 * built library) reads the "database", then takes a while; meanwhile this process updates the
 * database and evicts (or writes). After B's load ends, nobody may get B's old value from the cache.
 */
import 'reflect-metadata';
import { Inject, Injectable } from '@nestjs/common';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { ReadThrough, RedisCacheService, RedisPoolService } from '../../lib/index.js';
import { cacheTestingModule, trackTestingModules } from '../helpers/nest-testing.helper.js';
import { cli } from '../helpers/redis-cli.helper.js';
import { flushPrefix, uniquePrefix, useTestRedis } from '../helpers/test-redis.js';
import { root, startWorker, type Worker } from './fixtures/lock-workers.js';

const redis = useTestRedis();
const workerScript = resolve(root, 'test/e2e/fixtures/evict-worker.mjs');

beforeAll(() => {
  if (!existsSync(resolve(root, 'dist/esm/index.js')))
    throw new Error('dist/ is missing: run `npm run build` (npm test does it first)');
});

/** This process' copy of the worker's service: same key, same "database". */
@Injectable()
class BookService {
  /** The "database": a key of the test's prefix, outside the cache's namespace. */
  static dbKey = '';

  constructor(@Inject(RedisPoolService) private readonly pool: RedisPoolService) {}

  @ReadThrough('book:{0}', '1m')
  async find(isbn: string): Promise<{ isbn: string; title: string | null }> {
    return { isbn, title: await this.pool.execute((client) => client.get(BookService.dbKey)) };
  }
}

describe('eviction while another process loads the entry', () => {
  const modules = trackTestingModules();
  const prefixes: string[] = [];
  const workers: Worker[] = [];
  afterEach(async () => {
    for (const worker of workers.splice(0)) if (worker.child.exitCode === null) worker.child.kill('SIGKILL');
    for (const prefix of prefixes.splice(0)) await flushPrefix(redis.url(), prefix);
  });

  async function setUp(label: string) {
    const prefix = uniquePrefix(label);
    prefixes.push(prefix);
    const DB_KEY = (BookService.dbKey = `${prefix}:db:42`);
    await cli(redis, 'SET', DB_KEY, 'old');
    const ref = await modules.boot(
      cacheTestingModule({ url: redis.url(), prefix, operationTimeout: '5s' }, [BookService]),
    );
    const worker = startWorker({ REDIS_URL: redis.url(), PREFIX: prefix, DB_KEY, METHOD_MS: '800' }, workerScript);
    workers.push(worker);
    await worker.line('ready');
    worker.go();
    // B has read "old" and is producing its value.
    expect((await worker.line('running')).title).toBe('old');
    return { prefix, worker, DB_KEY, svc: ref.get(BookService), cache: ref.get(RedisCacheService) };
  }

  it('control: without an eviction, the other process stores what it loaded (the setup can fail)', async () => {
    const { prefix, worker, svc, DB_KEY } = await setUp('evict-control');
    expect((await worker.line('done')).title).toBe('old');
    expect(await worker.exited).toBe(0);
    await cli(redis, 'SET', DB_KEY, 'new');
    // Served from the entry B stored: the old title although the database says "new".
    expect((await svc.find('42')).title).toBe('old');
    expect(await cli(redis, 'GET', `${prefix}:default:book:42`)).toContain('"old"');
  }, 30_000);

  it('an eviction during the load: the load returns its value to its caller but does not store it', async () => {
    const { prefix, worker, svc, cache, DB_KEY } = await setUp('evict-race');
    await cli(redis, 'SET', DB_KEY, 'new');
    await cache.del('book:42');
    // B's caller gets what B loaded...
    expect((await worker.line('done')).title).toBe('old');
    expect(await worker.exited).toBe(0);
    // ...but it was not written back: the key is empty, and the next read loads "new".
    expect(await cli(redis, 'EXISTS', `${prefix}:default:book:42`)).toBe('0');
    expect((await svc.find('42')).title).toBe('new');
    expect((await svc.find('42')).title).toBe('new');
  }, 30_000);

  it('a newer write during the load (set()) is not overwritten by the older load', async () => {
    const { prefix, worker, svc, cache, DB_KEY } = await setUp('evict-newer');
    await cli(redis, 'SET', DB_KEY, 'new');
    expect(await cache.set('book:42', { isbn: '42', title: 'new' }, { ttl: '1m' })).toBe(true);
    expect((await worker.line('done')).title).toBe('old');
    expect(await worker.exited).toBe(0);
    expect(await cli(redis, 'GET', `${prefix}:default:book:42`)).toContain('"new"');
    expect((await svc.find('42')).title).toBe('new');
  }, 30_000);
});

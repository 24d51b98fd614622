/**
 * Keys and tags holding a lone UTF-16 surrogate, which key templates escape but key functions,
 * `wrap()` keys and literal tag names do not. Sent as UTF-8, every lone surrogate would become
 * U+FFFD: Redis' invalidation push would name that form and never match the L1's key (before the
 * fix: another instance's eviction, a redis-cli DEL and invalidateTags were never heard, and the
 * old value was served from the L1 until its freshness ended). Such keys are stored in their
 * digested form, which Redis reports as it is. A well-formed name is the control.
 */
import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import { ReadThrough, RedisCacheService } from '../../lib/index.js';
import { cacheTestingModule, trackTestingModules } from '../helpers/nest-testing.helper.js';
import { eventually } from '../helpers/polling.helper.js';
import { startRedisServer, stopAllRedisServers, type RedisServerHandle } from '../helpers/redis-server.js';
import { uniquePrefix } from '../helpers/test-redis.js';

let server: RedisServerHandle;
beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(() => stopAllRedisServers());

const db = new Map<string, string>();
/** Deletes every key matching ARGV[1] (a private test server: KEYS is fine) and returns how many. */
const DELETE_MATCHING =
  "local keys = redis.call('KEYS', ARGV[1]) for _, k in ipairs(keys) do redis.call('DEL', k) end return #keys";

@Injectable()
class Profiles {
  /** A key function over a name that came from a JSON body: JSON.parse('"\\ud800"') is a lone surrogate. */
  @ReadThrough((name: string) => `profile:${name}`, '1m')
  async byName(name: string): Promise<{ name: string; bio: string }> {
    return { name, bio: db.get(name) ?? 'none' };
  }
}

describe('L1: keys with a lone surrogate', () => {
  const modules = trackTestingModules();

  async function instance(prefix: string) {
    const ref = await modules.boot(
      cacheTestingModule({ url: server.url, prefix, operationTimeout: '5s', l1: true }, [Profiles]),
    );
    const cache = ref.get(RedisCacheService);
    expect(await eventually(2_000, () => cache.stats().l1Live === true)).toBe(true);
    return { svc: ref.get(Profiles), cache };
  }

  async function holdInL1(cache: RedisCacheService, read: () => Promise<unknown>): Promise<void> {
    const held = async (): Promise<boolean> => {
      const before = cache.stats().l1Hits ?? 0;
      await read();
      return (cache.stats().l1Hits ?? 0) > before;
    };
    expect(await eventually(2_000, held, 5)).toBe(true);
  }

  // Control: the same scenarios with a well-formed name pass.
  const names: [string, string][] = [
    ['a well-formed name', 'mallory'],
    ['a lone surrogate', JSON.parse('"mallory\\ud800"') as string],
  ];

  it('two callers whose names differ only in a lone surrogate never get each other\'s entry (as UTF-8 both are "\ufffd")', async () => {
    const prefix = uniquePrefix('l1-surrogate');
    const a = await instance(prefix);
    const b = await instance(prefix);
    const [alice, bob] = [JSON.parse('"user\\ud800"') as string, JSON.parse('"user\\udbff"') as string];
    db.set(alice, 'alice');
    db.set(bob, 'bob');
    expect((await a.svc.byName(alice)).bio).toBe('alice');
    // Another instance (its L1 empty) reads Redis: bob must get his own value, not alice's entry.
    expect((await b.svc.byName(bob)).bio).toBe('bob');
    expect((await b.svc.byName(alice)).bio).toBe('alice');
    expect((await a.svc.byName(bob)).bio).toBe('bob');
  });

  it.each(names)("another instance's eviction reaches the L1 (%s)", async (_label, name) => {
    const prefix = uniquePrefix('l1-surrogate');
    const a = await instance(prefix);
    const b = await instance(prefix);
    db.set(name, 'old');
    expect((await a.svc.byName(name)).bio).toBe('old');
    await holdInL1(a.cache, () => a.svc.byName(name));
    db.set(name, 'new');
    expect(await b.cache.evict(Profiles, 'byName', name)).toBe(true);
    expect(await eventually(1_000, async () => (await a.svc.byName(name)).bio === 'new', 20)).toBe(true);
  });

  it.each(names)('a redis-cli DEL reaches the L1 (wrap key, %s)', async (_label, name) => {
    const prefix = uniquePrefix('l1-surrogate');
    const a = await instance(prefix);
    let value = 'old';
    const read = () => a.cache.wrap(`w:${name}`, () => value);
    expect(await read()).toBe('old');
    await holdInL1(a.cache, read);
    value = 'new';
    // Deleted on the server by pattern: what the library stores for such a key is its digested form.
    const deleted = await server.command('EVAL', DELETE_MATCHING, '0', `${prefix}:default:w:*`);
    expect(deleted).toBe('1');
    expect(await eventually(1_000, async () => (await read()) === 'new', 20)).toBe(true);
  });

  it.each(names)("another instance's invalidateTags reaches the L1 (literal tag name, %s)", async (_label, name) => {
    const prefix = uniquePrefix('l1-surrogate');
    const a = await instance(prefix);
    const b = await instance(prefix);
    let value = 'old';
    const tag = `user:${name}`;
    const read = () => a.cache.wrap('feed', () => value, { tags: [tag] });
    expect(await read()).toBe('old');
    await holdInL1(a.cache, read);
    value = 'new';
    await b.cache.invalidateTags([tag]);
    expect(await eventually(1_000, async () => (await read()) === 'new', 20)).toBe(true);
  });
});

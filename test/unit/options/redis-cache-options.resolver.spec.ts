import { InvalidRedisCacheOptionsError } from '../../../lib/errors/invalid-redis-cache-options.error.js';
import { RedisCacheError } from '../../../lib/errors/redis-cache.error.js';
import type { RedisCacheModuleOptions } from '../../../lib/interfaces/redis-cache-module-options.interface.js';
import { resolveTtl } from '../../../lib/options/option-checks.util.js';
import { resolveRedisCacheOptions } from '../../../lib/options/redis-cache-options.resolver.js';
import { CacheSerializer } from '../../../lib/serializers/cache.serializer.js';
import { JsonSerializer } from '../../../lib/serializers/json.serializer.js';
import { MsgpackSerializer } from '../../../lib/serializers/msgpack.serializer.js';
import { V8Serializer } from '../../../lib/serializers/v8.serializer.js';

/** Runs the resolver and returns the error it throws (fails the test when it does not throw). */
function rejectionOf(options: unknown): InvalidRedisCacheOptionsError {
  try {
    resolveRedisCacheOptions(options as RedisCacheModuleOptions);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidRedisCacheOptionsError);
    return error as InvalidRedisCacheOptionsError;
  }
  throw new Error(`expected ${JSON.stringify(options)} to be rejected`);
}

class UpperJson extends CacheSerializer {
  readonly id = 'upper-json';
  serialize(value: unknown): string {
    return JSON.stringify(value);
  }
  deserialize(raw: Buffer): unknown {
    return JSON.parse(raw.toString('utf8'));
  }
}

describe('resolveRedisCacheOptions', () => {
  describe('defaults', () => {
    it.each([
      ['undefined', undefined],
      ['an empty object', {}],
    ])('fills every default for %s', (_, options) => {
      const resolved = resolveRedisCacheOptions(options);
      expect(resolved.store).toBe('redis');
      expect(resolved.prefix).toBe('cache');
      expect(resolved.namespace).toBe('default');
      expect(resolved.ttlMs).toBe(300_000);
      expect(resolved.operationTimeoutMs).toBe(300);
      expect(resolved.failOpen).toBe(true);
      expect(resolved.cacheNull).toBe(false);
      expect(resolved.requireConnectionOnBootstrap).toBe(false);
      expect(resolved.maxValueBytes).toBe(16 * 1024 * 1024);
      expect(resolved.memory).toEqual({ maxEntries: 10_000, maxBytes: 64 * 1024 * 1024 });
      expect(resolved.serializer).toBeInstanceOf(JsonSerializer);
      expect(resolved.connection).toEqual({
        kind: 'standalone',
        client: { url: 'redis://127.0.0.1:6379' },
        pool: { minimum: 1, maximum: 10, acquireTimeoutMs: 3_000 },
      });
    });

    it('keeps given values', () => {
      const resolved = resolveRedisCacheOptions({
        url: 'rediss://cache.internal:6380/2',
        prefix: 'shop',
        namespace: 'v2.users',
        ttl: '10m',
        pool: { minimum: 2, maximum: 4, acquireTimeout: 500 },
        failOpen: false,
        cacheNull: true,
        store: 'memory',
      });
      expect(resolved).toMatchObject({
        prefix: 'shop',
        namespace: 'v2.users',
        ttlMs: 600_000,
        failOpen: false,
        cacheNull: true,
        store: 'memory',
      });
      expect(resolved.connection).toEqual({
        kind: 'standalone',
        client: { url: 'rediss://cache.internal:6380/2' },
        pool: { minimum: 2, maximum: 4, acquireTimeoutMs: 500 },
      });
    });

    it('resolves serializer names and keeps serializer instances', () => {
      expect(resolveRedisCacheOptions({ serializer: 'json' }).serializer).toBeInstanceOf(JsonSerializer);
      expect(resolveRedisCacheOptions({ serializer: 'v8' }).serializer).toBeInstanceOf(V8Serializer);
      expect(resolveRedisCacheOptions({ serializer: 'msgpack' }).serializer).toBeInstanceOf(MsgpackSerializer);
      const own = new UpperJson();
      expect(resolveRedisCacheOptions({ serializer: own }).serializer).toBe(own);
    });

    it.each([['a'], ['x'.repeat(32)], ['json-v2.1+gzip'], ['My_Serializer'], ['0.9']])(
      'keeps a serializer with the id %p',
      (id) => {
        const serializer = { id, serialize: () => '', deserialize: () => null };
        expect(resolveRedisCacheOptions({ serializer }).serializer).toBe(serializer);
      },
    );

    it('chooses a cluster or a sentinel connection when given', () => {
      const cluster = { rootNodes: [{ url: 'redis://10.0.0.1:7000' }] };
      expect(resolveRedisCacheOptions({ cluster }).connection).toEqual({ kind: 'cluster', cluster });
      const sentinel = { name: 'mymaster', sentinelRootNodes: [{ host: '10.0.0.2', port: 26379 }] };
      expect(resolveRedisCacheOptions({ sentinel }).connection).toEqual({ kind: 'sentinel', sentinel });
    });
  });

  describe('durations', () => {
    it.each([
      ['250ms', 250],
      ['30s', 30_000],
      ['5m', 300_000],
      ['1h', 3_600_000],
      ['1d', 86_400_000],
      ['1.5s', 1_500],
      ['365d', 365 * 86_400_000],
      [1, 1],
      [42_000, 42_000],
    ])('reads ttl %p as %d ms', (ttl, ms) => {
      expect(resolveRedisCacheOptions({ ttl: ttl as RedisCacheModuleOptions['ttl'] }).ttlMs).toBe(ms);
    });

    it('reads operationTimeout and pool.acquireTimeout as durations', () => {
      const resolved = resolveRedisCacheOptions({ operationTimeout: '2s', pool: { acquireTimeout: '250ms' } });
      expect(resolved.operationTimeoutMs).toBe(2_000);
      expect(resolved.connection).toMatchObject({ pool: { acquireTimeoutMs: 250 } });
    });

    it('never resolves a ttl to a fractional number of milliseconds (SET PX only takes integers)', () => {
      // 1500.5 ms either is rejected naming "ttl", or becomes a whole number of milliseconds.
      let ttlMs: number;
      try {
        ttlMs = resolveRedisCacheOptions({ ttl: 1500.5 }).ttlMs;
      } catch (error) {
        expect(error).toBeInstanceOf(InvalidRedisCacheOptionsError);
        expect((error as InvalidRedisCacheOptionsError).field).toBe('ttl');
        return;
      }
      expect(Number.isInteger(ttlMs)).toBe(true);
    });
  });

  describe('invalid options', () => {
    const longId = 'x'.repeat(40);
    it.each<[string, unknown, string]>([
      ['a negative ttl', { ttl: -1 }, 'ttl'],
      ['a ttl of 0', { ttl: 0 }, 'ttl'],
      ['a ttl of "0s"', { ttl: '0s' }, 'ttl'],
      ['a ttl in parsecs', { ttl: '5 parsecs' }, 'ttl'],
      ['a ttl over 365 days', { ttl: '366d' }, 'ttl'],
      ['a ttl of 365 days and 1 ms', { ttl: 365 * 86_400_000 + 1 }, 'ttl'],
      ['a NaN ttl', { ttl: NaN }, 'ttl'],
      ['an Infinity ttl', { ttl: Infinity }, 'ttl'],
      ['an operationTimeout of 0', { operationTimeout: 0 }, 'operationTimeout'],
      ['an operationTimeout over a minute', { operationTimeout: '2m' }, 'operationTimeout'],
      ['pool.minimum greater than pool.maximum', { pool: { minimum: 5, maximum: 2 } }, 'pool.minimum'],
      ['pool.minimum greater than the default maximum', { pool: { minimum: 11 } }, 'pool.minimum'],
      ['a fractional pool.minimum', { pool: { minimum: 1.5 } }, 'pool.minimum'],
      ['a fractional pool.maximum', { pool: { maximum: 2.5 } }, 'pool.maximum'],
      ['a pool.maximum of 0', { pool: { maximum: 0 } }, 'pool.maximum'],
      ['a pool.maximum given as text', { pool: { maximum: '10' } }, 'pool.maximum'],
      ['an empty prefix', { prefix: '' }, 'prefix'],
      ['a prefix with a space', { prefix: 'my shop' }, 'prefix'],
      ['a prefix with *', { prefix: 'shop*' }, 'prefix'],
      ['a prefix with ? or [', { prefix: 'sh?p[1]' }, 'prefix'],
      ['a prefix with a newline', { prefix: 'shop\r\nFLUSHALL' }, 'prefix'],
      ['a prefix over 64 characters', { prefix: 'p'.repeat(65) }, 'prefix'],
      ['a namespace with a space', { namespace: 'a b' }, 'namespace'],
      ['an unknown store', { store: 'mongo' }, 'store'],
      ['an http url', { url: 'http://x' }, 'url'],
      ['a url without a scheme', { url: 'localhost:6379' }, 'url'],
      ['a url that is not a string', { url: 6379 }, 'url'],
      ['an empty cluster', { cluster: { rootNodes: [] } }, 'cluster.rootNodes'],
      ['a sentinel without a name', { sentinel: { sentinelRootNodes: [] } }, 'sentinel'],
      ['a serializer object without methods', { serializer: { id: 'x' } }, 'serializer'],
      ['an unknown serializer name', { serializer: 'yaml' }, 'serializer'],
      [
        'a serializer id of 40 characters',
        { serializer: { id: longId, serialize: () => '', deserialize: () => null } },
        'serializer.id',
      ],
      [
        'a serializer id with a space',
        { serializer: { id: 'my json', serialize: () => '', deserialize: () => null } },
        'serializer.id',
      ],
      [
        'an empty serializer id',
        { serializer: { id: '', serialize: () => '', deserialize: () => null } },
        'serializer.id',
      ],
      [
        'a serializer id of 33 characters',
        { serializer: { id: 'x'.repeat(33), serialize: () => '', deserialize: () => null } },
        'serializer.id',
      ],
      [
        'a serializer id with a colon (the header separator)',
        { serializer: { id: 'json:v2', serialize: () => '', deserialize: () => null } },
        'serializer.id',
      ],
      [
        'a serializer id with a newline (the header terminator)',
        { serializer: { id: 'json\nv2', serialize: () => '', deserialize: () => null } },
        'serializer.id',
      ],
      [
        'a serializer id with a non-ASCII letter',
        { serializer: { id: 'jsön', serialize: () => '', deserialize: () => null } },
        'serializer.id',
      ],
      [
        'a serializer id with a slash',
        { serializer: { id: 'json/v2', serialize: () => '', deserialize: () => null } },
        'serializer.id',
      ],
      [
        'a serializer id that is not a string',
        { serializer: { id: 7, serialize: () => '', deserialize: () => null } },
        'serializer.id',
      ],
      ['failOpen "yes"', { failOpen: 'yes' }, 'failOpen'],
      ['cacheNull 1', { cacheNull: 1 }, 'cacheNull'],
      ['maxValueBytes below 64', { maxValueBytes: 10 }, 'maxValueBytes'],
      ['maxValueBytes above 512 MiB', { maxValueBytes: 512 * 1024 * 1024 + 1 }, 'maxValueBytes'],
      ['memory.maxEntries of 0', { memory: { maxEntries: 0 } }, 'memory.maxEntries'],
    ])('rejects %s, naming %s', (_, options, field) => {
      const error = rejectionOf(options);
      expect(error.field).toBe(field);
      expect(error.message).toContain(`"${field}"`);
      expect(error.message).toContain('Fix:');
      expect(error.fix.length).toBeGreaterThan(0);
    });

    it.each<[string, RedisCacheModuleOptions]>([
      ['url and cluster', { url: 'redis://a:6379', cluster: { rootNodes: [{ url: 'redis://b:7000' }] } }],
      ['client and sentinel', { client: { url: 'redis://a:6379' }, sentinel: { name: 'm', sentinelRootNodes: [] } }],
      [
        'cluster and sentinel',
        { cluster: { rootNodes: [{ url: 'redis://b:7000' }] }, sentinel: { name: 'm', sentinelRootNodes: [] } },
      ],
    ])('rejects two connection kinds at once (%s)', (_, options) => {
      const error = rejectionOf(options);
      expect(error.field).toMatch(/url\/client.*cluster.*sentinel/);
      expect(error.message).toContain('Fix:');
    });

    it('throws an error with the stable code that is also a RedisCacheError', () => {
      const error = rejectionOf({ ttl: 0 });
      expect(error).toBeInstanceOf(RedisCacheError);
      expect(error).toBeInstanceOf(Error);
      expect(error.code).toBe('E_REDIS_CACHE_INVALID_OPTIONS');
      expect(error.name).toBe('InvalidRedisCacheOptionsError');
    });

    it('reports the value given, so the mistake can be found', () => {
      expect(rejectionOf({ ttl: '5 parsecs' }).message).toContain('"5 parsecs"');
      expect(rejectionOf({ store: 'mongo' }).message).toContain('mongo');
    });
  });

  describe('credentials in error messages', () => {
    it.each([
      ['an upper-case scheme', 'REDIS://u:secret@cache.internal:6379'],
      ['a leading space', ' redis://u:secret@cache.internal:6379'],
    ])('redacts the password of a rejected redis URL (%s)', (_, url) => {
      const error = rejectionOf({ url });
      expect(error.field).toBe('url');
      expect(error.message).not.toContain('secret');
      expect(error.message).toContain('***@cache.internal');
    });

    it.each([
      ['a wrong scheme', 'http://u:secret@cache.internal:6379'],
      ['a scheme missing a slash', 'redis:/u:secret@cache.internal:6379'],
      ['a scheme missing its colon', 'redis//u:secret@cache.internal:6379'],
    ])('does not echo the password of a malformed URL (%s)', (_, url) => {
      const error = rejectionOf({ url });
      expect(error.field).toBe('url');
      expect(error.message).not.toContain('secret');
    });

    it('does not echo a password given in client options when another field is wrong', () => {
      const error = rejectionOf({ client: { url: 'redis://u:secret@h:6379', password: 'secret' }, ttl: 0 });
      expect(error.message).not.toContain('secret');
    });
  });

  describe('resolveTtl', () => {
    it('names the field it was given', () => {
      let thrown: unknown;
      try {
        resolveTtl('CatsService.findOne: ttl', '0s');
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(InvalidRedisCacheOptionsError);
      expect((thrown as InvalidRedisCacheOptionsError).field).toBe('CatsService.findOne: ttl');
      expect(resolveTtl('x', '2h')).toBe(7_200_000);
    });
  });
});

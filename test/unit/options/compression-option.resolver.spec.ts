/**
 * The `compression` option at bootstrap: defaults, inheritance from the module by a method, and
 * InvalidRedisCacheOptionsError naming the field for every wrong value.
 */
import { InvalidRedisCacheOptionsError } from '../../../lib/errors/invalid-redis-cache-options.error.js';
import type { RedisCacheModuleOptions } from '../../../lib/interfaces/redis-cache-module-options.interface.js';
import type { ReadThroughOptions } from '../../../lib/interfaces/read-through-options.interface.js';
import { resolveRedisCacheOptions } from '../../../lib/options/redis-cache-options.resolver.js';
import { createReadThroughPolicy } from '../../../lib/read-through/read-through.policy.js';

function fieldOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidRedisCacheOptionsError);
    return (error as InvalidRedisCacheOptionsError).field;
  }
  throw new Error('expected InvalidRedisCacheOptionsError');
}

const moduleWith = (compression: unknown) => resolveRedisCacheOptions({ compression } as RedisCacheModuleOptions);
const methodWith = (module: unknown, compression: unknown) =>
  createReadThroughPolicy(moduleWith(module), 'Svc.find', undefined, { compression } as ReadThroughOptions<never>);

describe('compression option', () => {
  it('is off by default; true gives gzip level 6 from 1024 bytes; brotli defaults to quality 5', () => {
    expect(resolveRedisCacheOptions({}).compression).toBe(false);
    expect(moduleWith(true).compression).toEqual({ algorithm: 'gzip', threshold: 1024, level: 6 });
    expect(moduleWith({ algorithm: 'brotli' }).compression).toEqual({ algorithm: 'brotli', threshold: 1024, level: 5 });
    expect(moduleWith({ threshold: 0, level: 1 }).compression).toEqual({ algorithm: 'gzip', threshold: 0, level: 1 });
  });

  it('a method inherits the module setting, turns it off with false, overrides fields with an object', () => {
    const module = { algorithm: 'brotli', threshold: 4096, level: 9 };
    expect(methodWith(module, undefined).codec.compression).toEqual(module);
    expect(methodWith(module, false).codec.compression).toBe(false);
    expect(methodWith(module, true).codec.compression).toEqual(module);
    expect(methodWith(module, { threshold: 10 }).codec.compression).toEqual({ ...module, threshold: 10 });
    // Another algorithm does not inherit the module's level: gzip has its own range.
    expect(methodWith(module, { algorithm: 'gzip' }).codec.compression).toEqual({
      algorithm: 'gzip',
      threshold: 4096,
      level: 6,
    });
    expect(methodWith(false, true).codec.compression).toEqual({ algorithm: 'gzip', threshold: 1024, level: 6 });
    // A method with its own compression reads bytes (its entries may be binary); one without keeps text reads.
    expect(methodWith(false, true).codec.textual).toBe(false);
    expect(methodWith(false, undefined).codec.textual).toBe(true);
  });

  it.each([
    ['yes', 'compression'],
    [1, 'compression'],
    [[], 'compression'],
    [{ algorithm: 'zstd' }, 'compression.algorithm'],
    [{ algorithm: 'deflate' }, 'compression.algorithm'],
    [{ threshold: -1 }, 'compression.threshold'],
    [{ threshold: 1.5 }, 'compression.threshold'],
    [{ threshold: '1kb' }, 'compression.threshold'],
    [{ level: 0 }, 'compression.level'],
    [{ level: 10 }, 'compression.level'],
    [{ algorithm: 'brotli', level: 12 }, 'compression.level'],
    [{ thresold: 10 }, 'compression.thresold'],
  ])('refuses %j at bootstrap, naming %s', (value, field) => {
    expect(fieldOf(() => moduleWith(value))).toBe(field);
    expect(fieldOf(() => methodWith(false, value))).toBe(`Svc.find: ${field}`);
  });
});

/**
 * RedisCacheModule registration end to end: forRoot, the three forRootAsync flavours
 * (useFactory + inject + imports, useClass, useExisting), isGlobal, option validation at
 * bootstrap (module options and @ReadThrough options), and the Redis-free memory store.
 *
 * Every case boots a real Nest testing module against a real redis-server (or, for the memory
 * store, against a closed port) and closes it again.
 */
import 'reflect-metadata';
import { inspect } from 'node:util';
import { Inject, Injectable, Module, type DynamicModule, type ModuleMetadata, type Provider } from '@nestjs/common';
import { CapturingLogger, type TestingModule } from '@nestjs/testing';
import {
  InvalidRedisCacheOptionsError,
  ReadThrough,
  RedisCacheModule,
  RedisCacheService,
  RedisPoolService,
  type RedisCacheModuleOptions,
} from '../../lib/index.js';
import { freePort } from '../helpers/free-port.js';
import { ItemService } from '../helpers/item-service.fixture.js';
import { trackTestingModules } from '../helpers/nest-testing.helper.js';
import { storedKeys } from '../helpers/redis-cli.helper.js';
import { flushPrefix, uniquePrefix, useTestRedis } from '../helpers/test-redis.js';

const redis = useTestRedis();

// ---------------------------------------------------------------------------------------------
// A tiny ConfigModule look-alike, so forRootAsync is exercised through a real imported module.
// ---------------------------------------------------------------------------------------------

const CONFIG_VALUES = Symbol('CONFIG_VALUES');

@Injectable()
class TestConfigService {
  constructor(@Inject(CONFIG_VALUES) private readonly values: Record<string, string>) {}

  get(name: string): string {
    const value = this.values[name];
    if (value === undefined) throw new Error(`config value ${name} is not set`);
    return value;
  }
}

/** An options factory that lives in (and is exported by) the config module: for `useExisting`. */
@Injectable()
class SharedCacheOptions {
  /** How often Nest called the factory method. */
  calls = 0;

  constructor(@Inject(TestConfigService) private readonly config: TestConfigService) {}

  createRedisCacheOptions(): RedisCacheModuleOptions {
    this.calls++;
    return { url: this.config.get('REDIS_URL'), prefix: this.config.get('PREFIX'), ttl: '1m' };
  }
}

@Module({})
class TestConfigModule {
  static register(values: Record<string, string>): DynamicModule {
    return {
      module: TestConfigModule,
      providers: [{ provide: CONFIG_VALUES, useValue: values }, TestConfigService, SharedCacheOptions],
      exports: [TestConfigService, SharedCacheOptions],
    };
  }
}

/** An options factory class for `useClass`; Nest instantiates it inside the cache module. */
@Injectable()
class CacheOptionsFromConfig {
  constructor(@Inject(TestConfigService) private readonly config: TestConfigService) {}

  createRedisCacheOptions(): RedisCacheModuleOptions {
    return { url: this.config.get('REDIS_URL'), prefix: this.config.get('PREFIX'), ttl: '1m' };
  }
}

// ---------------------------------------------------------------------------------------------
// Cached providers
// ---------------------------------------------------------------------------------------------

/** Lives in its own module that does NOT import RedisCacheModule. */
@Injectable()
class FeatureService {
  constructor(@Inject(RedisCacheService) readonly cache: RedisCacheService) {}

  greet(name: string): Promise<string> {
    return this.cache.wrap(`greet:${name}`, async () => `hello ${name} #${Math.random()}`);
  }
}

@Module({ providers: [FeatureService], exports: [FeatureService] })
class FeatureModule {}

@Injectable()
class BadTtlService {
  @ReadThrough('k:{0}', '5 parsecs' as never)
  async load(id: string): Promise<string> {
    return id;
  }
}

@Injectable()
class BadTemplateService {
  @ReadThrough('{0}{1}')
  async load(a: string, b: string): Promise<string> {
    return a + b;
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

type Imports = NonNullable<ModuleMetadata['imports']>;

// Logs nothing: bootstrap failures, which Nest logs as errors, are captured instead of printed.
const modules = trackTestingModules({ logger: () => new CapturingLogger() });

/** Boots a module with `imports` and `providers`; closed after the test. */
function boot(imports: Imports, providers: Provider[] = [ItemService]): Promise<TestingModule> {
  return modules.boot({ imports, providers });
}

/** Calls `item('a')` twice: the method runs once, both calls see the same value, and it lands in Redis under `prefix`. */
async function expectCachedUnder(ref: TestingModule, prefix: string): Promise<void> {
  const catalog = ref.get(ItemService);
  await expect(catalog.item('a')).resolves.toEqual({ id: 'a', load: 1 });
  await expect(catalog.item('a')).resolves.toEqual({ id: 'a', load: 1 });
  expect(catalog.calls).toBe(1);
  const keys = await storedKeys(redis, prefix);
  expect(keys).toHaveLength(1);
  expect(keys[0]).toContain('item:a');
}

/** Compiles (and, if compile succeeds, inits) a module; resolves the error it fails with and where. */
async function bootstrapFailure(
  imports: Imports,
  providers: Provider[] = [],
): Promise<{ error: unknown; phase: 'compile' | 'init' }> {
  let ref: TestingModule | undefined;
  let phase: 'compile' | 'init' = 'compile';
  try {
    ref = await modules.compile({ imports, providers });
    phase = 'init';
    await ref.init();
  } catch (error) {
    return { error, phase };
  } finally {
    // init() may fail after the pool connected: closing must still release everything.
    if (ref) await modules.close(ref);
  }
  throw new Error('bootstrap succeeded, but it was expected to fail');
}

async function bootstrapError(imports: Imports, providers: Provider[] = []): Promise<unknown> {
  return (await bootstrapFailure(imports, providers)).error;
}

function expectInvalidOption(error: unknown, field: string): void {
  expect(error).toBeInstanceOf(InvalidRedisCacheOptionsError);
  const invalid = error as InvalidRedisCacheOptionsError;
  expect(invalid.field).toBe(field);
  expect(invalid.code).toBe('E_REDIS_CACHE_INVALID_OPTIONS');
  expect(invalid.message).toContain(`"${field}"`);
  expect(invalid.fix.length).toBeGreaterThan(0);
}

// ---------------------------------------------------------------------------------------------
// Registration flavours
// ---------------------------------------------------------------------------------------------

describe('RedisCacheModule registration', () => {
  it('forRoot(options) caches under the given prefix', async () => {
    const prefix = uniquePrefix('forroot');
    const ref = await boot([RedisCacheModule.forRoot({ url: redis.url(), prefix, ttl: '1m' })]);
    expect(ref.get(RedisPoolService).isReady).toBe(true);
    await expectCachedUnder(ref, prefix);
    await flushPrefix(redis.url(), prefix);
  });

  it('forRootAsync({ imports, inject, useFactory }) resolves options from an imported config module', async () => {
    const prefix = uniquePrefix('factory');
    const received: unknown[] = [];
    const factory = (config: TestConfigService): RedisCacheModuleOptions => {
      received.push(config);
      return { url: config.get('REDIS_URL'), prefix: config.get('PREFIX'), ttl: '1m' };
    };
    const ref = await boot([
      RedisCacheModule.forRootAsync({
        imports: [TestConfigModule.register({ REDIS_URL: redis.url(), PREFIX: prefix })],
        inject: [TestConfigService],
        useFactory: factory,
      }),
    ]);
    expect(received).toHaveLength(1);
    expect(received[0]).toBeInstanceOf(TestConfigService);
    await expectCachedUnder(ref, prefix);
    await flushPrefix(redis.url(), prefix);
  });

  it('forRootAsync({ useFactory }) may be async', async () => {
    const prefix = uniquePrefix('factory-async');
    const ref = await boot([
      RedisCacheModule.forRootAsync({
        useFactory: async () => {
          await new Promise((resolve) => setTimeout(resolve, 10));
          return { url: redis.url(), prefix };
        },
      }),
    ]);
    await expectCachedUnder(ref, prefix);
    await flushPrefix(redis.url(), prefix);
  });

  it('forRootAsync({ imports, useClass }) calls createRedisCacheOptions() on a class it instantiates', async () => {
    const prefix = uniquePrefix('useclass');
    const ref = await boot([
      RedisCacheModule.forRootAsync({
        imports: [TestConfigModule.register({ REDIS_URL: redis.url(), PREFIX: prefix })],
        useClass: CacheOptionsFromConfig,
      }),
    ]);
    await expectCachedUnder(ref, prefix);
    await flushPrefix(redis.url(), prefix);
  });

  it('forRootAsync({ imports, useExisting }) reuses the exported options factory instance', async () => {
    const prefix = uniquePrefix('useexisting');
    const ref = await boot([
      RedisCacheModule.forRootAsync({
        imports: [TestConfigModule.register({ REDIS_URL: redis.url(), PREFIX: prefix })],
        useExisting: SharedCacheOptions,
      }),
    ]);
    // The very instance the config module exports was used, not a new one.
    const shared = ref.get(SharedCacheOptions, { strict: false });
    expect(shared.calls).toBe(1);
    await expectCachedUnder(ref, prefix);
    await flushPrefix(redis.url(), prefix);
  });

  it('isGlobal: true lets a module that does not import RedisCacheModule inject RedisCacheService', async () => {
    const prefix = uniquePrefix('global');
    const ref = await boot([RedisCacheModule.forRoot({ isGlobal: true, url: redis.url(), prefix }), FeatureModule], []);
    const feature = ref.get(FeatureService);
    expect(feature.cache).toBe(ref.get(RedisCacheService));
    const first = await feature.greet('ada');
    await expect(feature.greet('ada')).resolves.toBe(first);
    expect(first).toMatch(/^hello ada #/);
    expect(await storedKeys(redis, prefix)).toHaveLength(1);
    await flushPrefix(redis.url(), prefix);
  });

  it('isGlobal: true also works with forRootAsync', async () => {
    const prefix = uniquePrefix('global-async');
    const ref = await boot(
      [
        RedisCacheModule.forRootAsync({ isGlobal: true, useFactory: () => ({ url: redis.url(), prefix }) }),
        FeatureModule,
      ],
      [],
    );
    const feature = ref.get(FeatureService);
    const first = await feature.greet('bob');
    await expect(feature.greet('bob')).resolves.toBe(first);
    await flushPrefix(redis.url(), prefix);
  });

  it('without isGlobal the separate module cannot resolve RedisCacheService (control for the test above)', async () => {
    const error = await bootstrapError([
      RedisCacheModule.forRoot({ url: redis.url(), prefix: uniquePrefix('local') }),
      FeatureModule,
    ]);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/FeatureService/);
    expect(error).not.toBeInstanceOf(InvalidRedisCacheOptionsError);
  });
});

// ---------------------------------------------------------------------------------------------
// Validation at bootstrap
// ---------------------------------------------------------------------------------------------

describe('invalid options fail bootstrap with InvalidRedisCacheOptionsError naming the field', () => {
  const cases: Array<[string, () => RedisCacheModuleOptions, string]> = [
    ['negative ttl', () => ({ url: redis.url(), ttl: -1 }), 'ttl'],
    ['ttl "5 parsecs"', () => ({ url: redis.url(), ttl: '5 parsecs' as never }), 'ttl'],
    ['pool minimum > maximum', () => ({ url: redis.url(), pool: { minimum: 5, maximum: 2 } }), 'pool.minimum'],
    ['empty prefix', () => ({ url: redis.url(), prefix: '' }), 'prefix'],
    ['unknown store', () => ({ url: redis.url(), store: 'postgres' as never }), 'store'],
  ];

  it.each(cases)('forRoot: %s (compile() rejects)', async (_label, options, field) => {
    const { error, phase } = await bootstrapFailure([RedisCacheModule.forRoot(options())], [ItemService]);
    expectInvalidOption(error, field);
    expect(phase).toBe('compile');
  });

  it.each(cases)('forRootAsync useFactory: %s (compile() rejects)', async (_label, options, field) => {
    const { error, phase } = await bootstrapFailure(
      [RedisCacheModule.forRootAsync({ useFactory: async () => options() })],
      [ItemService],
    );
    expectInvalidOption(error, field);
    expect(phase).toBe('compile');
  });

  it('forRootAsync useClass: an invalid option is reported the same way', async () => {
    @Injectable()
    class BadOptions {
      createRedisCacheOptions(): RedisCacheModuleOptions {
        return { url: redis.url(), ttl: '5 parsecs' as never };
      }
    }
    expectInvalidOption(await bootstrapError([RedisCacheModule.forRootAsync({ useClass: BadOptions })]), 'ttl');
  });

  it('@ReadThrough with ttl "5 parsecs" fails init, naming ClassName.method', async () => {
    const { error, phase } = await bootstrapFailure(
      [RedisCacheModule.forRoot({ url: redis.url(), prefix: uniquePrefix('badttl') })],
      [BadTtlService],
    );
    expectInvalidOption(error, 'BadTtlService.load: ttl');
    expect(phase).toBe('init');
  });

  it('@ReadThrough with template "{0}{1}" fails init, naming ClassName.method', async () => {
    const { error, phase } = await bootstrapFailure(
      [RedisCacheModule.forRoot({ url: redis.url(), prefix: uniquePrefix('badkey') })],
      [BadTemplateService],
    );
    expectInvalidOption(error, 'BadTemplateService.load: key');
    expect(phase).toBe('init');
    expect((error as Error).message).toContain('{0}{1}');
  });

  it('@ReadThrough validation also applies with the memory store', async () => {
    const error = await bootstrapError([RedisCacheModule.forRoot({ store: 'memory' })], [BadTtlService]);
    expectInvalidOption(error, 'BadTtlService.load: ttl');
  });

  it('an invalid URL is rejected without echoing its password (no secrets in logs)', async () => {
    // A wrong scheme (valkey://, http://, a typo) must not put the password into the bootstrap error.
    const error = await bootstrapError([RedisCacheModule.forRoot({ url: 'valkey://user:s3cr3t-pw@127.0.0.1:6379' })]);
    expectInvalidOption(error, 'url');
    expect((error as Error).message).not.toContain('s3cr3t-pw');
  });

  // A redis:// URL that is still malformed must be reported like every other invalid option
  // (field "url", at bootstrap), and the error must not carry the password anywhere.
  it.each([
    ['a port out of range', 'redis://user:s3cr3t-pw@127.0.0.1:99999'],
    ['a database path that is not a number', 'redis://user:s3cr3t-pw@127.0.0.1:6379/not-a-db'],
  ])('a redis:// URL with %s fails bootstrap as an invalid "url" option, without the password', async (_label, url) => {
    const error = await bootstrapError([RedisCacheModule.forRoot({ url, prefix: uniquePrefix('badurl') })]);
    expect(inspect(error, { depth: 5 })).not.toContain('s3cr3t-pw');
    expectInvalidOption(error, 'url');
  });
});

// ---------------------------------------------------------------------------------------------
// Memory store
// ---------------------------------------------------------------------------------------------

describe("store: 'memory'", () => {
  it('boots with no Redis at all (url at a closed port) and caches', async () => {
    const closedPort = await freePort();
    const prefix = uniquePrefix('memory');
    const ref = await boot([
      RedisCacheModule.forRoot({ store: 'memory', url: `redis://127.0.0.1:${closedPort}`, prefix }),
    ]);
    const catalog = ref.get(ItemService);
    await expect(catalog.item('a')).resolves.toEqual({ id: 'a', load: 1 });
    await expect(catalog.item('a')).resolves.toEqual({ id: 'a', load: 1 });
    await expect(catalog.item('b')).resolves.toEqual({ id: 'b', load: 2 });
    expect(catalog.calls).toBe(2);
    const cache = ref.get(RedisCacheService);
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 2, storeErrors: 0 });
    await expect(cache.set('k', { v: 1 })).resolves.toBe(true);
    await expect(cache.get('k')).resolves.toEqual({ v: 1 });
    // No connection was opened for the memory store.
    expect(ref.get(RedisPoolService).isReady).toBe(false);
  });
});

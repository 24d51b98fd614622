/**
 * Issue 9, "Keys" and "Values" on provider methods, against both stores: every way a key could
 * merge two callers (a placeholder that reads nothing, getters, opaque objects, two providers of
 * one class, prefix/namespace confusion) and every way a value could change on its way through
 * (keys JSON used to drop, throwing callbacks). Each case asserts what callers get and how often
 * the method ran.
 */
import 'reflect-metadata';
import { Inject, Injectable, Module, type Provider } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import {
  InvalidRedisCacheOptionsError,
  ReadThrough,
  RedisCacheModule,
  RedisCacheService,
  type RedisCacheModuleOptions,
} from '../../lib/index.js';
import { CacheStore } from '../../lib/store/cache.store.js';
import { cacheTestingModule, loggedMessages, trackTestingModules } from '../helpers/nest-testing.helper.js';
import { cli } from '../helpers/redis-cli.helper.js';
import { flushPrefix, uniquePrefix, useTestRedis } from '../helpers/test-redis.js';
import { CapturingLogger, Test } from '@nestjs/testing';

const redis = useTestRedis();

class Account {
  readonly #id: string;
  constructor(id: string) {
    this.#id = id;
  }
  get id(): string {
    return this.#id;
  }
}

/** State a key cannot see at all: no enumerable member, no getter. */
class Sealed {
  readonly #id: string;
  constructor(id: string) {
    this.#id = id;
  }
  describe(): string {
    return this.#id;
  }
}

/** Public page, tenant in a #private field behind a getter. */
class TenantQuery {
  readonly #tenant: string;
  constructor(
    tenant: string,
    readonly page: number,
  ) {
    this.#tenant = tenant;
  }
  get tenant(): string {
    return this.#tenant;
  }
}

@Injectable()
class ProfileService {
  runs = 0;

  @ReadThrough('user:{0.idd}')
  async misspelled(user: { id: string }): Promise<string> {
    this.runs++;
    return `profile of ${user.id}`;
  }

  @ReadThrough('user:{0.id}')
  async byGetter(account: Account): Promise<string> {
    this.runs++;
    return `profile of ${account.id}`;
  }

  @ReadThrough('opt:{0.x}', undefined, { missingKeyValue: 'empty' })
  async optional(arg: { x?: string | null }): Promise<string> {
    this.runs++;
    return `opt ${String(arg.x)} #${this.runs}`;
  }

  @ReadThrough()
  async search(params: URLSearchParams): Promise<string> {
    this.runs++;
    return `results for ${params.get('u')}`;
  }

  @ReadThrough()
  async opaque(sealed: Sealed): Promise<string> {
    this.runs++;
    return `opaque ${sealed.describe()}`;
  }

  @ReadThrough()
  async invoices(query: TenantQuery): Promise<string> {
    this.runs++;
    return `${query.tenant}-invoices page ${query.page}`;
  }

  @ReadThrough('words:{0}')
  async words(id: string): Promise<Record<string, number>> {
    this.runs++;
    return { constructor: 3, prototype: 1, the: 10, id: id.length };
  }

  @ReadThrough('cond:{0}', undefined, {
    condition: () => {
      throw new Error('condition bug');
    },
  })
  async throwingCondition(id: string): Promise<string> {
    this.runs++;
    return `cond ${id}`;
  }

  @ReadThrough('unless:{0}', undefined, {
    unless: () => {
      throw new Error('unless bug');
    },
  })
  async throwingUnless(id: string): Promise<string> {
    this.runs++;
    return `unless ${id}`;
  }

  @ReadThrough((): string => {
    throw new Error('key function bug');
  })
  async throwingKey(id: string): Promise<string> {
    this.runs++;
    return `key ${id}`;
  }
}

/** One class, constructed differently per token: the default key must tell the providers apart. */
class PriceService {
  constructor(readonly region: string) {}

  @ReadThrough()
  async price(sku: string): Promise<string> {
    return `${this.region}:${sku}`;
  }
}

describe.each(['redis', 'memory'] as const)('keys and values on the %s store', (store) => {
  const modules = trackTestingModules({ logger: () => new CapturingLogger() });
  const prefixes: string[] = [];
  afterEach(async () => {
    if (store === 'redis') for (const prefix of prefixes.splice(0)) await flushPrefix(redis.url(), prefix);
  });

  function options(extra: RedisCacheModuleOptions = {}): RedisCacheModuleOptions {
    const prefix = uniquePrefix(`keys-${store}`);
    prefixes.push(prefix);
    return { store, ...(store === 'redis' ? { url: redis.url() } : {}), prefix, operationTimeout: '5s', ...extra };
  }

  async function bootWithLog(
    providers: Provider[],
    extra?: RedisCacheModuleOptions,
  ): Promise<{ ref: TestingModule; logger: CapturingLogger; prefix: string }> {
    const opts = options(extra);
    const logger = new CapturingLogger();
    const ref = await modules.compile(cacheTestingModule(opts, providers), logger);
    ref.useLogger(logger);
    await ref.init();
    return { ref, logger, prefix: opts.prefix! };
  }

  describe('a placeholder that reads nothing never merges callers', () => {
    it('{0.idd}: every caller gets its own value, the call runs uncached, a warning names the placeholder', async () => {
      const { ref, logger } = await bootWithLog([ProfileService]);
      const svc = ref.get(ProfileService);
      expect(await svc.misspelled({ id: 'alice' })).toBe('profile of alice');
      expect(await svc.misspelled({ id: 'bob' })).toBe('profile of bob');
      expect(await svc.misspelled({ id: 'bob' })).toBe('profile of bob');
      expect(svc.runs).toBe(3);
      expect(loggedMessages(logger, 'warn').some((m) => m.includes('{0.idd}') && m.includes('running uncached'))).toBe(
        true,
      );
    });

    it('{5} on a one-argument method fails bootstrap, naming the method, the placeholder and the fix', async () => {
      @Injectable()
      class OneArg {
        @ReadThrough('item:{5}')
        async item(id: string): Promise<string> {
          return id;
        }
      }
      const ref = await modules.compile(cacheTestingModule(options(), [OneArg]));
      const failure = await ref.init().then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(InvalidRedisCacheOptionsError);
      expect(String((failure as Error).message)).toMatch(/OneArg\.item: key/);
      expect(String((failure as Error).message)).toMatch(/\{5\}/);
      expect(String((failure as Error).message)).toMatch(/declares 1 parameter/);
    });

    it("missingKeyValue: 'empty' is the explicit opt-in for sharing, and null keeps its own mark", async () => {
      const { ref } = await bootWithLog([ProfileService]);
      const svc = ref.get(ProfileService);
      const first = await svc.optional({});
      expect(await svc.optional({})).toBe(first);
      const withNull = await svc.optional({ x: null });
      expect(withNull).not.toBe(first);
      expect(await svc.optional({ x: null })).toBe(withNull);
      expect(await svc.optional({ x: 'null' })).not.toBe(withNull);
      expect(svc.runs).toBe(3);
    });
  });

  describe('getters and opaque objects', () => {
    it('{0.id} reads a class getter over #private state: alice and bob never share', async () => {
      const { ref } = await bootWithLog([ProfileService]);
      const svc = ref.get(ProfileService);
      expect(await svc.byGetter(new Account('alice'))).toBe('profile of alice');
      expect(await svc.byGetter(new Account('bob'))).toBe('profile of bob');
      expect(await svc.byGetter(new Account('alice'))).toBe('profile of alice');
      expect(svc.runs).toBe(2);
    });

    it('the default key encodes URLSearchParams by their text', async () => {
      const { ref } = await bootWithLog([ProfileService]);
      const svc = ref.get(ProfileService);
      expect(await svc.search(new URLSearchParams('u=alice'))).toBe('results for alice');
      expect(await svc.search(new URLSearchParams('u=bob'))).toBe('results for bob');
      expect(await svc.search(new URLSearchParams('u=alice'))).toBe('results for alice');
      expect(svc.runs).toBe(2);
    });

    it('an argument with no visible state runs uncached with a warning instead of sharing User{}', async () => {
      const { ref, logger } = await bootWithLog([ProfileService]);
      const svc = ref.get(ProfileService);
      expect(await svc.opaque(new Sealed('alice'))).toBe('opaque alice');
      expect(await svc.opaque(new Sealed('bob'))).toBe('opaque bob');
      expect(svc.runs).toBe(2);
      expect(loggedMessages(logger, 'warn').some((m) => m.includes('no stable identity'))).toBe(true);
    });

    it("the default key reads getters over #private state: globex never gets acme's invoices", async () => {
      const { ref } = await bootWithLog([ProfileService]);
      const svc = ref.get(ProfileService);
      expect(await svc.invoices(new TenantQuery('acme', 1))).toBe('acme-invoices page 1');
      expect(await svc.invoices(new TenantQuery('globex', 1))).toBe('globex-invoices page 1');
      expect(await svc.invoices(new TenantQuery('acme', 1))).toBe('acme-invoices page 1');
      expect(svc.runs).toBe(2);
    });
  });

  describe('the default key identifies the provider', () => {
    it('two providers of one class under different tokens never share entries', async () => {
      @Injectable()
      class Consumer {
        constructor(
          @Inject('PRICE_EU') readonly eu: PriceService,
          @Inject('PRICE_US') readonly us: PriceService,
        ) {}
      }
      const providers: Provider[] = [
        { provide: 'PRICE_EU', useFactory: () => new PriceService('eu') },
        { provide: 'PRICE_US', useFactory: () => new PriceService('us') },
        Consumer,
      ];
      const { ref } = await bootWithLog(providers);
      const consumer = ref.get(Consumer);
      expect(await consumer.eu.price('sku1')).toBe('eu:sku1');
      expect(await consumer.us.price('sku1')).toBe('us:sku1');
      expect(await consumer.eu.price('sku1')).toBe('eu:sku1');
    });

    it('two different classes with one name fail bootstrap and ask for a namespace or an explicit key', async () => {
      const makeClass = (tag: string) => {
        @Injectable()
        class Catalog {
          @ReadThrough()
          async list(): Promise<string> {
            return tag;
          }
        }
        return Catalog;
      };
      const A = makeClass('a');
      const B = makeClass('b');
      const ref = await modules.compile(cacheTestingModule(options(), [A, { provide: 'OTHER', useClass: B }]));
      const failure = await ref.init().then(
        () => undefined,
        (error: unknown) => error,
      );
      // B sits under a string token, so its label differs: this pair boots.
      expect(failure).toBeUndefined();

      @Module({ providers: [A] })
      class ModuleA {}
      @Module({ providers: [B] })
      class ModuleB {}
      const clash = await Test.createTestingModule({ imports: [RedisCacheModule.forRoot(options()), ModuleA, ModuleB] })
        .setLogger(new CapturingLogger())
        .compile();
      const clashFailure = await clash.init().then(
        () => undefined,
        (error: unknown) => error,
      );
      await clash.close().catch(() => undefined);
      expect(clashFailure).toBeInstanceOf(InvalidRedisCacheOptionsError);
      expect(String((clashFailure as Error).message)).toMatch(/two different providers/);
      expect(String((clashFailure as Error).message)).toMatch(/namespace/);
    });

    it('one class registered in two modules shares its entries (same code, same construction)', async () => {
      @Injectable()
      class Rates {
        runs = 0;
        @ReadThrough()
        async rate(code: string): Promise<string> {
          this.runs++;
          return `rate ${code}`;
        }
      }
      @Module({ providers: [Rates], exports: [Rates] })
      class RatesA {}
      @Module({ providers: [Rates] })
      class RatesB {}
      const ref = await Test.createTestingModule({ imports: [RedisCacheModule.forRoot(options()), RatesA, RatesB] })
        .setLogger(new CapturingLogger())
        .compile();
      try {
        await ref.init();
        const fromA = ref.select(RatesA).get(Rates, { strict: true });
        const fromB = ref.select(RatesB).get(Rates, { strict: true });
        expect(fromA).not.toBe(fromB);
        expect(await fromA.rate('eur')).toBe('rate eur');
        expect(await fromB.rate('eur')).toBe('rate eur');
        expect(fromA.runs + fromB.runs).toBe(1);
      } finally {
        await ref.close();
      }
    });
  });

  describe('prefix and namespace', () => {
    it.each<[string, RedisCacheModuleOptions]>([
      ['a prefix with ":"', { prefix: 'shop:eu' }],
      ['a namespace with ":"', { namespace: 'a:b' }],
      ['the reserved namespace __lock__', { namespace: '__lock__' }],
    ])('%s fails bootstrap with the field and the fix', (_, bad) => {
      expect(() => RedisCacheModule.forRoot({ store, ...bad })).not.toThrow();
      const field = Object.keys(bad)[0];
      return modules
        .compile(cacheTestingModule({ store, ...(store === 'redis' ? { url: redis.url() } : {}), ...bad }, []))
        .then(
          () => expect('compiled').toBe('refused'),
          (error: unknown) => {
            expect(error).toBeInstanceOf(InvalidRedisCacheOptionsError);
            expect((error as InvalidRedisCacheOptionsError).message).toContain(field);
          },
        );
    });

    it("clear() of prefix p and clear('a') reach exactly their own keys, not p-eu's nor namespace a-b's", async () => {
      const base = options();
      const shop = await modules.boot(cacheTestingModule(base, []));
      const shopEu = await modules.boot(cacheTestingModule({ ...base, prefix: `${base.prefix}-eu` }, []));
      prefixes.push(`${base.prefix}-eu`);
      const a = shop.get(RedisCacheService);
      const b = shopEu.get(RedisCacheService);
      if (store === 'memory') {
        // Two apps never share a memory store; within one, namespaces are what can collide.
        await a.set('k', 1, { namespace: 'a' });
        await a.set('k', 2, { namespace: 'a-b' });
        expect(await a.clear('a')).toBe(1);
        expect(await a.get('k', { namespace: 'a-b' })).toBe(2);
        return;
      }
      await a.set('price', 1);
      await b.set('price', 2);
      await a.set('k', 3, { namespace: 'a-b' });
      expect(await a.clear('a')).toBe(0);
      expect(await a.clear()).toBe(2);
      expect(await b.get('price')).toBe(2);
      expect(await cli(redis, 'EXISTS', `${base.prefix}-eu:default:price`)).toBe('1');
    });
  });

  describe('values: a hit equals the miss, or nothing is stored', () => {
    it('constructor and prototype keys come back every time, because such a value is never stored', async () => {
      const { ref, logger, prefix } = await bootWithLog([ProfileService]);
      const svc = ref.get(ProfileService);
      const expected = { constructor: 3, prototype: 1, the: 10, id: 2 };
      expect(await svc.words('ab')).toEqual(expected);
      expect(await svc.words('ab')).toEqual(expected);
      expect(svc.runs).toBe(2);
      expect(await ref.get(CacheStore).has(`${prefix}:default:words:ab`)).toBe(false);
      expect(loggedMessages(logger, 'warn').some((m) => m.includes('"constructor" key'))).toBe(true);
    });

    it('a planted entry with a polluting shape is refused (a miss), and the method result is served', async () => {
      const { ref, prefix } = await bootWithLog([ProfileService]);
      const svc = ref.get(ProfileService);
      const planted = `\x1eRT3:0:json:${Date.now()}:${Date.now() + 60_000}:0\n{"__proto__":{"polluted":true},"x":1}`;
      await ref.get(CacheStore).set(`${prefix}:default:user:carol`, planted, 60_000);
      expect(await svc.byGetter(new Account('carol'))).toBe('profile of carol');
      expect(svc.runs).toBe(1);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(ref.get(RedisCacheService).stats().rejectedEntries).toBe(1);
    });

    it('a throwing condition, unless or key function never fails a call whose method succeeded', async () => {
      const { ref, logger, prefix } = await bootWithLog([ProfileService]);
      const svc = ref.get(ProfileService);
      await expect(svc.throwingCondition('a')).resolves.toBe('cond a');
      await expect(svc.throwingUnless('a')).resolves.toBe('unless a');
      await expect(svc.throwingKey('a')).resolves.toBe('key a');
      await expect(svc.throwingCondition('a')).resolves.toBe('cond a');
      expect(svc.runs).toBe(4);
      const cache = ref.get(CacheStore);
      expect(await cache.has(`${prefix}:default:cond:a`)).toBe(false);
      expect(await cache.has(`${prefix}:default:unless:a`)).toBe(false);
      const warnings = loggedMessages(logger, 'warn');
      expect(warnings.some((m) => m.includes('condition/unless threw'))).toBe(true);
      expect(warnings.some((m) => m.includes('key function bug'))).toBe(true);
    });
  });
});

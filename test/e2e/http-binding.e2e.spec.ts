/**
 * Issue 4, "Binding and keys" (binding part): ReadThroughInterceptor bound per method, per
 * controller and globally; routes without @ReadThrough pass through; a method is cached by
 * exactly one path (service explorer vs. interceptor).
 */
import 'reflect-metadata';
import { Controller, Get, Injectable, Param, Put, UseInterceptors, type INestApplication } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { CapturingLogger } from '@nestjs/testing';
import { CacheEvict, ReadThrough, ReadThroughInterceptor } from '../../lib/index.js';
import { loggedMessages } from '../helpers/nest-testing.helper.js';
import { storedKeys } from '../helpers/redis-cli.helper.js';
import { useTestRedis } from '../helpers/test-redis.js';
import { Counter, PLATFORMS, trackHttpApps, type HttpApp } from './fixtures/http-app.js';

const redis = useTestRedis();
const createApp = trackHttpApps(redis);

@Controller('per-method')
class PerMethodController {
  constructor(private readonly counter: Counter) {}

  @Get('bound')
  @UseInterceptors(ReadThroughInterceptor)
  @ReadThrough()
  async bound(): Promise<{ route: string; n: number }> {
    return { route: 'bound', n: this.counter.hit('bound') };
  }

  /** Decorated, but no interceptor is bound to it: it runs uncached. */
  @Get('unbound')
  @ReadThrough()
  async unbound(): Promise<{ route: string; n: number }> {
    return { route: 'unbound', n: this.counter.hit('unbound') };
  }
}

@Controller('per-controller')
@UseInterceptors(ReadThroughInterceptor)
class PerControllerController {
  constructor(private readonly counter: Counter) {}

  @Get('cached')
  @ReadThrough()
  async cached(): Promise<{ route: string; n: number }> {
    return { route: 'cached', n: this.counter.hit('cached') };
  }

  @Get('plain')
  async plain(): Promise<{ route: string; n: number }> {
    return { route: 'plain', n: this.counter.hit('plain') };
  }
}

/** No @UseInterceptors: only a global binding can cache it. */
@Controller('global')
class GlobalController {
  constructor(private readonly counter: Counter) {}

  @Get('cached')
  @ReadThrough('global-cached')
  async cached(): Promise<{ route: string; n: number }> {
    return { route: 'cached', n: this.counter.hit('cached') };
  }

  @Get('plain')
  async plain(): Promise<{ route: string; n: number }> {
    return { route: 'plain', n: this.counter.hit('plain') };
  }
}

@Injectable()
class PriceService {
  constructor(private readonly counter: Counter) {}

  @ReadThrough('price:{0}', '1m')
  async price(sku: string): Promise<{ sku: string; cents: number; n: number }> {
    return { sku, cents: 100 * sku.length, n: this.counter.hit('service') };
  }
}

@Controller('shop')
@UseInterceptors(ReadThroughInterceptor)
class ShopController {
  constructor(
    private readonly counter: Counter,
    private readonly prices: PriceService,
  ) {}

  /** A cached route that calls a cached service method. */
  @Get('cached/:sku')
  @ReadThrough('shop:{params.sku}')
  async cached(
    @Param('sku') sku: string,
  ): Promise<{ route: number; price: { sku: string; cents: number; n: number } }> {
    return { route: this.counter.hit('route'), price: await this.prices.price(sku) };
  }

  /** An uncached route that calls the same cached service method. */
  @Get('plain/:sku')
  async plain(@Param('sku') sku: string): Promise<{ route: number; price: { sku: string; cents: number; n: number } }> {
    return { route: this.counter.hit('plain'), price: await this.prices.price(sku) };
  }

  /** A decorated route that calls nothing: one request must store exactly one entry. */
  @Get('alone/:id')
  @ReadThrough('alone:{params.id}')
  async alone(@Param('id') id: string): Promise<{ id: string; n: number }> {
    return { id, n: this.counter.hit('alone') };
  }
}

/** A write route whose eviction only ReadThroughInterceptor can run. */
@Controller('writes')
class WritesController {
  @Put(':id')
  @CacheEvict('cat:{params.id}')
  async update(@Param('id') id: string): Promise<{ id: string }> {
    return { id };
  }
}

/** The same write route, bound to a subclass of the interceptor. */
class AuditedInterceptor extends ReadThroughInterceptor {}

@Controller('audited-writes')
@UseInterceptors(AuditedInterceptor)
class AuditedWritesController {
  @Put(':id')
  @CacheEvict('cat:{params.id}')
  async update(@Param('id') id: string): Promise<{ id: string }> {
    return { id };
  }
}

/** Captures what the app logs from init on (the apps are created with `logger: false`). */
function capturing(logger: CapturingLogger): (app: INestApplication) => void {
  return (app) => {
    app.useLogger(logger);
  };
}

/** The warnings about routes the interceptor does not reach. */
function unboundWarnings(logger: CapturingLogger): string[] {
  return loggedMessages(logger, 'warn').filter((m) => m.includes('needs ReadThroughInterceptor'));
}

/**
 * Checks a controller with `cached` and `plain` routes under `base`: `GET <base>/cached` is a MISS,
 * then a HIT with the first run's body (one run); `GET <base>/plain` runs on each of 3 requests
 * and never carries X-Cache.
 */
async function expectCachedAndPlain({ http, counter }: Pick<HttpApp, 'http' | 'counter'>, base: string): Promise<void> {
  expect((await http().get(`${base}/cached`).expect(200)).headers['x-cache']).toBe('MISS');
  const hit = await http().get(`${base}/cached`).expect(200);
  expect(hit.headers['x-cache']).toBe('HIT');
  expect(hit.body).toEqual({ route: 'cached', n: 1 });
  expect(counter.of('cached')).toBe(1);

  for (let i = 1; i <= 3; i++) {
    const res = await http().get(`${base}/plain`).expect(200);
    expect(res.headers['x-cache']).toBeUndefined();
    expect(res.body).toEqual({ route: 'plain', n: i });
  }
  expect(counter.of('plain')).toBe(3);
}

describe.each(PLATFORMS)('HTTP binding on %s', (platform, makeAdapter) => {
  it('per method: the bound route is cached, a decorated route without the interceptor is not', async () => {
    const { http, counter } = await createApp(platform, makeAdapter(), { controllers: [PerMethodController] });

    const first = await http().get('/per-method/bound').expect(200);
    const second = await http().get('/per-method/bound').expect(200);
    expect(first.headers['x-cache']).toBe('MISS');
    expect(second.headers['x-cache']).toBe('HIT');
    expect(second.body).toEqual({ route: 'bound', n: 1 });
    expect(counter.of('bound')).toBe(1);

    for (let i = 1; i <= 3; i++) {
      const res = await http().get('/per-method/unbound').expect(200);
      expect(res.headers['x-cache']).toBeUndefined();
      expect(res.body).toEqual({ route: 'unbound', n: i });
    }
    expect(counter.of('unbound')).toBe(3);
  });

  it('per controller: decorated routes are cached, undecorated routes pass through', async () => {
    const { http, counter } = await createApp(platform, makeAdapter(), { controllers: [PerControllerController] });

    await expectCachedAndPlain({ http, counter }, '/per-controller');
  });

  it('globally via APP_INTERCEPTOR: decorated routes are cached, others pass through', async () => {
    const { http, counter } = await createApp(platform, makeAdapter(), {
      controllers: [GlobalController],
      providers: [{ provide: APP_INTERCEPTOR, useClass: ReadThroughInterceptor }],
    });

    await expectCachedAndPlain({ http, counter }, '/global');
  });

  it('globally via app.useGlobalInterceptors(app.get(ReadThroughInterceptor)) when the interceptor is provided', async () => {
    const { http, counter } = await createApp(platform, makeAdapter(), {
      controllers: [GlobalController],
      // RedisCacheModule does not provide the interceptor itself: app.get() finds it only when
      // the application lists it as a provider (its dependencies come from the global module).
      providers: [ReadThroughInterceptor],
      beforeInit: (app) => {
        app.useGlobalInterceptors(app.get(ReadThroughInterceptor));
      },
    });

    await expectCachedAndPlain({ http, counter }, '/global');
  });

  it('warns at bootstrap about a @ReadThrough route and a @CacheEvict route the interceptor does not reach', async () => {
    const logger = new CapturingLogger();
    await createApp(platform, makeAdapter(), {
      controllers: [PerMethodController, WritesController, PerControllerController],
      beforeInit: capturing(logger),
    });

    const warnings = unboundWarnings(logger);
    expect(warnings).toHaveLength(2);
    const readThrough = warnings.find((m) => m.startsWith('PerMethodController.unbound: @ReadThrough'));
    expect(readThrough).toContain('nothing is cached');
    expect(readThrough).toContain('@UseInterceptors(ReadThroughInterceptor)');
    const evict = warnings.find((m) => m.startsWith('WritesController.update: @CacheEvict'));
    expect(evict).toContain('nothing is evicted');
    // The bound routes are not named: per method (PerMethodController.bound) and per controller.
    expect(warnings.some((m) => m.includes('.bound') || m.includes('PerControllerController'))).toBe(false);
  });

  it.each([
    ['APP_INTERCEPTOR', { providers: [{ provide: APP_INTERCEPTOR, useClass: ReadThroughInterceptor }] }],
    [
      'app.useGlobalInterceptors()',
      {
        providers: [ReadThroughInterceptor],
        global: (app: INestApplication) => app.useGlobalInterceptors(app.get(ReadThroughInterceptor)),
      },
    ],
  ])('does not warn when the interceptor is bound globally (%s)', async (_, binding) => {
    const logger = new CapturingLogger();
    await createApp(platform, makeAdapter(), {
      controllers: [GlobalController, WritesController],
      providers: binding.providers,
      beforeInit: (app) => {
        capturing(logger)(app);
        if ('global' in binding) binding.global(app);
      },
    });

    expect(unboundWarnings(logger)).toEqual([]);
  });

  it('does not warn for a route bound to a subclass of the interceptor', async () => {
    const logger = new CapturingLogger();
    await createApp(platform, makeAdapter(), {
      controllers: [AuditedWritesController],
      providers: [AuditedInterceptor],
      beforeInit: capturing(logger),
    });

    expect(unboundWarnings(logger)).toEqual([]);
  });

  it('a cached route may call a cached service method; both caches work', async () => {
    const { http, counter } = await createApp(platform, makeAdapter(), {
      controllers: [ShopController],
      providers: [PriceService],
    });

    const miss = await http().get('/shop/cached/abc').expect(200);
    expect(miss.headers['x-cache']).toBe('MISS');
    expect(miss.body).toEqual({ route: 1, price: { sku: 'abc', cents: 300, n: 1 } });
    const hit = await http().get('/shop/cached/abc').expect(200);
    expect(hit.headers['x-cache']).toBe('HIT');
    expect(hit.body).toEqual(miss.body);
    expect(counter.of('route')).toBe(1);
    expect(counter.of('service')).toBe(1);

    // The uncached route runs every time but reuses the service entry the cached route stored.
    for (let i = 1; i <= 3; i++) {
      const res = await http().get('/shop/plain/abc').expect(200);
      expect(res.headers['x-cache']).toBeUndefined();
      expect(res.body).toEqual({ route: i, price: { sku: 'abc', cents: 300, n: 1 } });
    }
    expect(counter.of('plain')).toBe(3);
    expect(counter.of('service')).toBe(1);
  });

  it('a decorated controller method called directly is not cached; only HTTP requests are', async () => {
    const { app, http, counter, prefix } = await createApp(platform, makeAdapter(), {
      controllers: [ShopController],
      providers: [PriceService],
    });
    const controller = app.get(ShopController);

    expect(await controller.alone('x')).toEqual({ id: 'x', n: 1 });
    expect(await controller.alone('x')).toEqual({ id: 'x', n: 2 });
    expect(await controller.alone('x')).toEqual({ id: 'x', n: 3 });
    expect(counter.of('alone')).toBe(3);
    expect(await storedKeys(redis, prefix)).toHaveLength(0);

    const miss = await http().get('/shop/alone/x').expect(200);
    expect(miss.headers['x-cache']).toBe('MISS');
    expect(miss.body).toEqual({ id: 'x', n: 4 });
    const hit = await http().get('/shop/alone/x').expect(200);
    expect(hit.headers['x-cache']).toBe('HIT');
    expect(hit.body).toEqual({ id: 'x', n: 4 });
    expect(counter.of('alone')).toBe(4);
    // One request, one entry: the explorer did not also wrap the controller method.
    expect(await storedKeys(redis, prefix)).toHaveLength(1);

    // Calling it directly still runs it and still stores nothing more.
    expect(await controller.alone('x')).toEqual({ id: 'x', n: 5 });
    expect(await storedKeys(redis, prefix)).toHaveLength(1);
  });
});

/**
 * Issue 14: `RedisCacheHealthIndicator` (nestjs-readthrough/terminus) on a private redis-server
 * that is paused (SIGSTOP), resumed, killed and restarted on the same port, through an HTTP
 * `/health` endpoint built with `TerminusModule`. The check is up with a latency on a healthy
 * server, down within its bound during an outage (terminus answers 503 with the details, the
 * cached routes and methods still answer), and up again once Redis is back.
 */
import 'reflect-metadata';
import { Controller, Get, Injectable, Param, UseInterceptors, type INestApplication } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { Test } from '@nestjs/testing';
import supertest from 'supertest';
import { RedisCacheHealthIndicator } from '../../lib/health/index.js';
import {
  InvalidRedisCacheOptionsError,
  ReadThrough,
  ReadThroughInterceptor,
  RedisCacheModule,
  RedisPoolService,
  type RedisCacheModuleOptions,
} from '../../lib/index.js';
import { closeAfterEach } from '../helpers/nest-testing.helper.js';
import { eventually, rejectionOf } from '../helpers/polling.helper.js';
import { startRedisServer, stopAllRedisServers, type RedisServerHandle } from '../helpers/redis-server.js';
import { uniquePrefix } from '../helpers/test-redis.js';

const OPERATION_TIMEOUT_MS = 300;
/** Scheduling noise of a shared 2-core box. */
const SLACK_MS = 250;
/** Reconnect backoff is capped at 2 s (redis-client-options.factory.ts), plus jitter. */
const RECOVERY_MS = 10_000;

@Injectable()
class Catalog {
  runs = 0;

  @ReadThrough('book:{0}', '1m')
  async book(id: string): Promise<{ id: string; title: string }> {
    this.runs++;
    return { id, title: `title-${id}` };
  }
}

@Controller()
class AppController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly cache: RedisCacheHealthIndicator,
    private readonly catalog: Catalog,
  ) {}

  @Get('health')
  @HealthCheck()
  check(): Promise<unknown> {
    return this.health.check([() => this.cache.isHealthy('redis-cache', { timeout: '1s' })]);
  }

  @Get('books/:id')
  @UseInterceptors(ReadThroughInterceptor)
  @ReadThrough('route-book:{params.id}', '1m')
  async route(@Param('id') id: string): Promise<{ id: string; route: true }> {
    return { id, route: true };
  }

  @Get('method/:id')
  method(@Param('id') id: string): Promise<{ id: string; title: string }> {
    return this.catalog.book(id);
  }
}

interface HealthApp {
  readonly app: INestApplication;
  readonly indicator: RedisCacheHealthIndicator;
  readonly pool: RedisPoolService;
  http(): ReturnType<typeof supertest>;
}

const apps = closeAfterEach<INestApplication>();

afterAll(async () => {
  await apps.closeAll();
  await stopAllRedisServers();
});

/** An Express app with TerminusModule, RedisCacheModule, the indicator in `providers`. */
async function boot(cache: Partial<RedisCacheModuleOptions>): Promise<HealthApp> {
  const moduleRef = await Test.createTestingModule({
    imports: [
      TerminusModule.forRoot({ logger: false }),
      RedisCacheModule.forRoot({
        prefix: uniquePrefix('health'),
        operationTimeout: `${OPERATION_TIMEOUT_MS}ms`,
        ...cache,
      }),
    ],
    controllers: [AppController],
    providers: [RedisCacheHealthIndicator, Catalog],
  }).compile();
  const app = apps.add(moduleRef.createNestApplication(new ExpressAdapter(), { logger: false }));
  await app.init();
  return {
    app,
    indicator: app.get(RedisCacheHealthIndicator),
    pool: app.get(RedisPoolService),
    http: () => supertest(app.getHttpServer()),
  };
}

/** Runs `work` and measures it. */
async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await work();
  return { value, ms: performance.now() - started };
}

async function isUp(subject: HealthApp): Promise<boolean> {
  return (await subject.indicator.isHealthy())['redis-cache'].status === 'up';
}

/** The cached route and method answer correctly, whatever Redis does. */
async function appStillAnswers(subject: HealthApp): Promise<void> {
  const route = await subject.http().get('/books/7');
  expect(route.status).toBe(200);
  expect(route.body).toEqual({ id: '7', route: true });
  const method = await subject.http().get('/method/7');
  expect(method.status).toBe(200);
  expect(method.body).toEqual({ id: '7', title: 'title-7' });
}

describe('RedisCacheHealthIndicator on a real Redis', () => {
  let server: RedisServerHandle;

  beforeEach(async () => {
    server = await startRedisServer();
  });

  afterEach(async () => {
    await apps.closeAll();
    await server.stop();
  });

  it('healthy: up with the PING latency, the breaker state and the store; GET /health is 200', async () => {
    const subject = await boot({ url: server.url });
    const result = await subject.indicator.isHealthy();
    expect(result).toEqual({
      'redis-cache': {
        status: 'up',
        store: 'redis',
        breaker: 'closed',
        latencyMs: expect.any(Number),
        timeoutMs: OPERATION_TIMEOUT_MS,
      },
    });
    expect(result['redis-cache'].latencyMs).toBeGreaterThanOrEqual(0);
    expect(result['redis-cache'].latencyMs).toBeLessThan(OPERATION_TIMEOUT_MS);

    const response = await subject.http().get('/health');
    expect(response.status).toBe(200);
    expect(response.body.status).toBe('ok');
    expect(response.body.info['redis-cache']).toMatchObject({ status: 'up', store: 'redis', breaker: 'closed' });
    // The key and a shorter timeout are the caller's.
    const custom = await subject.indicator.isHealthy('cache', { timeout: '100ms' });
    expect(custom.cache).toMatchObject({ status: 'up', timeoutMs: 100 });
  });

  it('SIGSTOP: down within the bound (503 with the details), the cached route and method still answer; SIGCONT: up again', async () => {
    const subject = await boot({ url: server.url });
    await appStillAnswers(subject); // warm the cache: the entries exist when Redis freezes
    expect(await isUp(subject)).toBe(true);

    await server.pause();
    try {
      const { value, ms } = await timed(() => subject.indicator.isHealthy());
      expect(value['redis-cache']).toMatchObject({ status: 'down', store: 'redis', timeoutMs: OPERATION_TIMEOUT_MS });
      expect(value['redis-cache'].message).toMatch(/PING/);
      expect(value['redis-cache'].latencyMs).toBeUndefined();
      expect(ms).toBeLessThanOrEqual(OPERATION_TIMEOUT_MS + SLACK_MS);

      const response = await timed(() => subject.http().get('/health'));
      expect(response.value.status).toBe(503);
      expect(response.value.body.status).toBe('error');
      expect(response.value.body.error['redis-cache']).toMatchObject({ status: 'down', store: 'redis' });
      expect(['closed', 'open', 'half-open']).toContain(response.value.body.error['redis-cache'].breaker);
      expect(response.ms).toBeLessThanOrEqual(OPERATION_TIMEOUT_MS + SLACK_MS);

      await appStillAnswers(subject);
    } finally {
      server.resume();
    }
    expect(await eventually(RECOVERY_MS, () => isUp(subject))).toBe(true);
    const response = await subject.http().get('/health');
    expect(response.status).toBe(200);
    expect(response.body.info['redis-cache']).toMatchObject({ status: 'up', breaker: 'closed' });
  });

  it('killed: down at once (connection not ready), the app still answers; restarted on the same port: up after the reconnect', async () => {
    const subject = await boot({ url: server.url });
    expect(await isUp(subject)).toBe(true);

    await server.kill();
    expect(await eventually(2_000, () => !subject.pool.isReady)).toBe(true);
    const { value, ms } = await timed(() => subject.indicator.isHealthy());
    expect(value['redis-cache']).toMatchObject({ status: 'down', store: 'redis', breaker: 'closed' });
    expect(value['redis-cache'].message).toMatch(/not ready/);
    expect(ms).toBeLessThanOrEqual(SLACK_MS);
    const response = await subject.http().get('/health');
    expect(response.status).toBe(503);
    expect(response.body.error['redis-cache']).toMatchObject({
      status: 'down',
      message: expect.stringMatching(/not ready/),
    });
    await appStillAnswers(subject);

    await server.restart();
    expect(await eventually(RECOVERY_MS, () => isUp(subject))).toBe(true);
    expect((await subject.http().get('/health')).status).toBe(200);
  });

  it('breaker open: down at once with breaker "open" and no PING sent; after the cooldown the check is the probe that closes it', async () => {
    const subject = await boot({ url: server.url, circuitBreaker: { failureThreshold: 2, cooldown: '500ms' } });
    expect(await isUp(subject)).toBe(true);

    await server.pause();
    try {
      // Two PINGs that time out: the breaker's threshold.
      for (let i = 0; i < 2; i++) expect((await subject.indicator.isHealthy())['redis-cache'].status).toBe('down');
      expect(await eventually(SLACK_MS, () => subject.pool.circuitState === 'open')).toBe(true);
      const attempts = subject.pool.commandAttempts;
      const { value, ms } = await timed(() => subject.indicator.isHealthy());
      expect(value['redis-cache']).toMatchObject({ status: 'down', breaker: 'open' });
      expect(value['redis-cache'].message).toMatch(/circuit breaker open/);
      expect(subject.pool.commandAttempts).toBe(attempts);
      expect(ms).toBeLessThan(OPERATION_TIMEOUT_MS);
      const response = await subject.http().get('/health');
      expect(response.status).toBe(503);
      expect(response.body.error['redis-cache'].breaker).toBe('open');
    } finally {
      server.resume();
    }
    expect(await eventually(RECOVERY_MS, () => isUp(subject))).toBe(true);
    expect(subject.pool.circuitState).toBe('closed');
  });
});

describe('RedisCacheHealthIndicator without Redis', () => {
  it('memory store: up, store "memory", no connection to report on', async () => {
    const subject = await boot({ store: 'memory' });
    expect(await subject.indicator.isHealthy()).toEqual({ 'redis-cache': { status: 'up', store: 'memory' } });
    const response = await subject.http().get('/health');
    expect(response.status).toBe(200);
    expect(response.body.details).toEqual({ 'redis-cache': { status: 'up', store: 'memory' } });
  });

  it.each([0, -1, '2 seconds', Number.NaN])(
    'rejects timeout %p with InvalidRedisCacheOptionsError',
    async (timeout) => {
      const subject = await boot({ store: 'memory' });
      const error = await rejectionOf(subject.indicator.isHealthy('redis-cache', { timeout: timeout as never }));
      expect(error).toBeInstanceOf(InvalidRedisCacheOptionsError);
      expect((error as InvalidRedisCacheOptionsError).field).toBe('RedisCacheHealthIndicator.isHealthy: timeout');
    },
  );
});

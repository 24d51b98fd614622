/**
 * Issue 14: the events of the unhappy paths, on a private redis-server: a stale hit and its
 * refresh (and a failing one), bytes the codec refuses, store errors and the circuit breaker
 * opening and closing while the server is paused (SIGSTOP), and a miss waiting on the
 * cross-process lock of another application.
 */
import 'reflect-metadata';
import { setTimeout as sleep } from 'node:timers/promises';
import { Injectable } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import {
  ReadThrough,
  RedisCacheModule,
  RedisCacheService,
  type RedisCacheEvent,
  type RedisCacheModuleOptions,
} from '../../lib/index.js';
import { closeAfterEach } from '../helpers/nest-testing.helper.js';
import { eventually } from '../helpers/polling.helper.js';
import { startRedisServer, stopAllRedisServers, type RedisServerHandle } from '../helpers/redis-server.js';
import { uniquePrefix } from '../helpers/test-redis.js';

const RECOVERY_MS = 10_000;

@Injectable()
class Catalog {
  runs = 0;
  failRefresh = false;

  @ReadThrough('book:{0}', '300ms', { staleWhileRevalidate: '1m', failSafe: true })
  async book(id: string): Promise<{ id: string; run: number }> {
    this.runs++;
    if (this.failRefresh && this.runs > 1) throw new RangeError('upstream down');
    return { id, run: this.runs };
  }

  @ReadThrough('slow:{0}', '1m', { lock: true })
  async slow(id: string): Promise<string> {
    this.runs++;
    await sleep(400);
    return id;
  }
}

let server: RedisServerHandle;
const modules = closeAfterEach<TestingModule>();

beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(async () => {
  await modules.closeAll();
  await stopAllRedisServers();
});

interface Subject {
  readonly cache: RedisCacheService;
  readonly catalog: Catalog;
  readonly events: RedisCacheEvent[];
}

async function boot(options: Partial<RedisCacheModuleOptions>): Promise<Subject> {
  const ref = modules.add(
    await Test.createTestingModule({
      imports: [RedisCacheModule.forRoot({ url: server.url, prefix: uniquePrefix('events-faults'), ...options })],
      providers: [Catalog],
    }).compile(),
  );
  ref.useLogger(false);
  await ref.init();
  const cache = ref.get(RedisCacheService);
  const events: RedisCacheEvent[] = [];
  cache.events$.subscribe((event) => events.push(event));
  return { cache, catalog: ref.get(Catalog), events };
}

function types(events: RedisCacheEvent[]): string[] {
  return events.map((event) => event.type);
}

it('a stale hit starts a refresh; a failing refresh reports refresh-failed with the error class only', async () => {
  const subject = await boot({});
  await subject.catalog.book('1');
  await sleep(350);
  subject.events.length = 0;
  await subject.catalog.book('1');
  expect(await eventually(2_000, () => types(subject.events).includes('store'))).toBe(true);
  const origin = { namespace: 'default', label: 'Catalog.book' };
  expect(subject.events.slice(0, 2)).toEqual([
    { type: 'stale-hit', ...origin },
    { type: 'refresh', ...origin, stale: true },
  ]);
  expect(types(subject.events)).toEqual(['stale-hit', 'refresh', 'load', 'store']);

  await sleep(350);
  subject.catalog.failRefresh = true;
  subject.events.length = 0;
  expect(await subject.catalog.book('1')).toMatchObject({ id: '1' }); // fail-safe: the stale value
  expect(await eventually(2_000, () => types(subject.events).includes('refresh-failed'))).toBe(true);
  expect(subject.events).toContainEqual({ type: 'refresh-failed', ...origin, errorName: 'RangeError' });
  expect(subject.events).toContainEqual(expect.objectContaining({ type: 'load', outcome: 'error' }));
});

it('bytes the codec refuses: refused-entry with the reason, then a miss', async () => {
  const prefix = uniquePrefix('events-refused');
  const subject = await boot({ prefix });
  await server.command('SET', `${prefix}:default:book:9`, 'not an entry');
  await subject.catalog.book('9');
  expect(subject.events.slice(0, 2)).toEqual([
    { type: 'refused-entry', namespace: 'default', label: 'Catalog.book', reason: expect.any(String) },
    { type: 'miss', namespace: 'default', label: 'Catalog.book' },
  ]);
});

it('SIGSTOP: store-error (read) while the server hangs, breaker-open after the threshold, breaker-closed once it answers', async () => {
  const subject = await boot({ operationTimeout: '200ms', circuitBreaker: { failureThreshold: 2, cooldown: '300ms' } });
  await subject.catalog.book('s');
  subject.events.length = 0;
  await server.pause();
  try {
    for (let i = 0; i < 3; i++) await subject.catalog.book(`paused-${i}`);
    expect(subject.events).toContainEqual({
      type: 'store-error',
      namespace: 'default',
      label: 'Catalog.book',
      operation: 'read',
      errorName: expect.any(String),
    });
    expect(subject.events).toContainEqual({ type: 'breaker-open', previous: 'closed' });
  } finally {
    server.resume();
  }
  const closed = await eventually(RECOVERY_MS, async () => {
    await subject.catalog.book('after');
    return types(subject.events).includes('breaker-closed');
  });
  expect(closed).toBe(true);
});

it('lock-wait: a miss that finds the lock held by another application', async () => {
  const prefix = uniquePrefix('events-lock');
  const [a, b] = [await boot({ prefix }), await boot({ prefix })];
  const first = a.catalog.slow('k');
  await sleep(100);
  await Promise.all([first, b.catalog.slow('k')]);
  expect(a.catalog.runs + b.catalog.runs).toBe(1);
  expect(b.events).toContainEqual({ type: 'lock-wait', namespace: 'default', label: 'Catalog.slow' });
  expect(types(a.events)).not.toContain('lock-wait');
});

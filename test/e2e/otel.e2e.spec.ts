/**
 * Issue 14: nestjs-readthrough/otel on a private redis-server, read back through the
 * OpenTelemetry SDK's in-memory exporters: hits, misses and stale hits counted with their
 * namespace and label, the load histogram, the breaker state gauge while the server is paused
 * (SIGSTOP), store errors, spans around loads (what the method does nests under them), and no
 * value, key or credential in any exported attribute.
 */
import 'reflect-metadata';
import { setTimeout as sleep } from 'node:timers/promises';
import { Injectable } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type DataPoint,
  type Histogram,
  type MetricData,
} from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ReadThrough, RedisCacheModule, type RedisCacheModuleOptions } from '../../lib/index.js';
import { RedisCacheOpenTelemetry } from '../../lib/otel/index.js';
import { closeAfterEach } from '../helpers/nest-testing.helper.js';
import { startRedisServer, stopAllRedisServers, type RedisServerHandle } from '../helpers/redis-server.js';
import { uniquePrefix } from '../helpers/test-redis.js';

const SENTINEL = 'SENTINEL-VALUE-3b7d';
const USER_ID = 'user-PII-90210';

@Injectable()
class Catalog {
  @ReadThrough('book:{0}', '300ms', { namespace: 'books', staleWhileRevalidate: '1m' })
  async book(id: string): Promise<{ id: string; secret: string }> {
    // A span of the method's own: with spans on, it nests under cache.load.
    trace.getTracer('app').startSpan('db.query').end();
    return { id, secret: SENTINEL };
  }
}

let server: RedisServerHandle;
const modules = closeAfterEach<TestingModule>();
const contextManager = new AsyncLocalStorageContextManager();

beforeAll(async () => {
  server = await startRedisServer();
  context.setGlobalContextManager(contextManager.enable());
});
afterAll(async () => {
  await modules.closeAll();
  await stopAllRedisServers();
  context.disable();
});

interface Telemetry {
  readonly catalog: Catalog;
  collect(): Promise<MetricData[]>;
  readonly spans: InMemorySpanExporter;
}

async function boot(options: Partial<RedisCacheModuleOptions>, spans = false): Promise<Telemetry> {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const meterProvider = new MeterProvider({ readers: [reader] });
  const spanExporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spanExporter)] });
  trace.setGlobalTracerProvider(tracerProvider);
  const ref = modules.add(
    await Test.createTestingModule({
      imports: [RedisCacheModule.forRoot({ url: server.url, prefix: uniquePrefix('otel'), ...options })],
      providers: [Catalog, RedisCacheOpenTelemetry.register({ meterProvider, tracerProvider, spans })],
    }).compile(),
  );
  ref.useLogger(false);
  await ref.init();
  return {
    catalog: ref.get(Catalog),
    spans: spanExporter,
    async collect() {
      exporter.reset();
      await reader.forceFlush();
      return exporter.getMetrics().flatMap((resource) => resource.scopeMetrics.flatMap((scope) => scope.metrics));
    },
  };
}

function metric(all: MetricData[], name: string): MetricData {
  const found = all.find((each) => each.descriptor.name === name);
  if (!found) throw new Error(`no ${name} in ${all.map((each) => each.descriptor.name).join(', ')}`);
  return found;
}

function points(all: MetricData[], name: string): { attributes: unknown; value: unknown }[] {
  return (metric(all, name).dataPoints as DataPoint<unknown>[]).map(({ attributes, value }) => ({ attributes, value }));
}

afterEach(() => trace.disable());

it('counts hits, misses and stale hits with namespace and label; records each load in seconds', async () => {
  const telemetry = await boot({});
  await telemetry.catalog.book(USER_ID);
  await telemetry.catalog.book(USER_ID);
  await telemetry.catalog.book(USER_ID);
  await sleep(350);
  await telemetry.catalog.book(USER_ID); // stale: served, refreshed in the background
  await sleep(100);
  const all = await telemetry.collect();
  const origin = { 'cache.namespace': 'books', 'cache.label': 'Catalog.book' };
  expect(points(all, 'cache.requests')).toEqual(
    expect.arrayContaining([
      { attributes: { ...origin, 'cache.result': 'miss' }, value: 1 },
      { attributes: { ...origin, 'cache.result': 'hit' }, value: 2 },
      { attributes: { ...origin, 'cache.result': 'stale' }, value: 1 },
    ]),
  );
  const load = metric(all, 'cache.load.duration');
  expect(load.descriptor.unit).toBe('s');
  const [histogram] = load.dataPoints as DataPoint<Histogram>[];
  expect(histogram.attributes).toEqual(origin);
  expect(histogram.value.count).toBe(2); // the miss and the refresh
  expect(histogram.value.sum).toBeLessThan(1); // seconds, not milliseconds
  expect(points(all, 'cache.breaker.state')).toEqual(
    expect.arrayContaining([
      { attributes: { 'cache.breaker.state': 'closed' }, value: 1 },
      { attributes: { 'cache.breaker.state': 'open' }, value: 0 },
    ]),
  );
  const text = JSON.stringify(all);
  for (const secret of [SENTINEL, USER_ID, 'book:', server.url]) expect(text).not.toContain(secret);
});

it('SIGSTOP: store errors counted, the breaker gauge reads open; once Redis answers again, closed', async () => {
  const telemetry = await boot({
    operationTimeout: '200ms',
    circuitBreaker: { failureThreshold: 2, cooldown: '300ms' },
  });
  await server.pause();
  try {
    for (let i = 0; i < 3; i++) await telemetry.catalog.book(`paused-${i}`);
    const all = await telemetry.collect();
    expect(points(all, 'cache.breaker.state')).toContainEqual({
      attributes: { 'cache.breaker.state': 'open' },
      value: 1,
    });
    const errors = points(all, 'cache.store.errors');
    expect(errors).toContainEqual({
      attributes: expect.objectContaining({ 'cache.label': 'Catalog.book', 'cache.operation': 'read' }),
      value: expect.any(Number),
    });
  } finally {
    server.resume();
  }
  let closed = false;
  for (let tries = 0; tries < 50 && !closed; tries++) {
    await sleep(200);
    await telemetry.catalog.book('after');
    const breaker = points(await telemetry.collect(), 'cache.breaker.state');
    closed = breaker.some(
      (point) =>
        JSON.stringify(point) === JSON.stringify({ attributes: { 'cache.breaker.state': 'closed' }, value: 1 }),
    );
  }
  expect(closed).toBe(true);
});

it('spans: true — one cache.load span per load, parent of what the method does; none for hits', async () => {
  const telemetry = await boot({}, true);
  await telemetry.catalog.book('s');
  await telemetry.catalog.book('s');
  const spans = telemetry.spans.getFinishedSpans();
  const load = spans.filter((span) => span.name === 'cache.load Catalog.book');
  expect(load).toHaveLength(1);
  expect(load[0].attributes).toEqual({ 'cache.namespace': 'books', 'cache.label': 'Catalog.book' });
  const db = spans.filter((span) => span.name === 'db.query');
  expect(db).toHaveLength(1);
  expect(db[0].parentSpanContext?.spanId).toBe(load[0].spanContext().spanId);
});

it('spans off (the default): no span from the cache', async () => {
  const telemetry = await boot({});
  await telemetry.catalog.book('n');
  expect(telemetry.spans.getFinishedSpans().map((span) => span.name)).toEqual(['db.query']);
});

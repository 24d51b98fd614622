// One process of the L1 invalidation-latency bench (l1-invalidation.bench.mjs), started by it:
//
//   node l1/invalidation-worker.mjs reader|writer <redis-url> <prefix>
//
// Both roles boot a Nest application context with RedisCacheModule.forRoot({ url, prefix,
// l1: true }) and a provider whose `get(id)` carries @ReadThrough('item:{0}', '10m'); its loader
// reads the "database", the plain Redis key `db:<id>` (outside the cache prefix), and returns
// { id, v }. Both wait until `stats().l1Live` before saying { event: 'ready' }.
//
//   reader: on stdin `poll <id>`, calls get(id) in a tight loop, yielding with setImmediate
//           after every call, and writes { event: 'seen', v, at, l1Hits } the first time a call
//           returns a new `v` (callMs: how long that call took; droppedAt: when its L1 last
//           dropped an entry on a push, the `l1-invalidation` event of events$, i.e. the moment
//           it stopped serving the old value). On `stop`: { event: 'stats', stats } and exit.
//   writer: on stdin `set <id> <v>`, RedisCacheService.set('item:<id>', { id, v }) and writes
//           { event: 'written', v, startAt, ackAt }. On `stop`: exit.
//
// Times are epoch milliseconds with sub-ms precision (performance.timeOrigin + now()), one clock
// for every process on the machine. Events are JSON lines on stdout; errors go to stderr.
import 'reflect-metadata';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { libraryEntryUrl } from '../contenders/nestjs-readthrough.mjs';

const [role, url, prefix] = process.argv.slice(2);
if ((role !== 'reader' && role !== 'writer') || !url || !prefix) {
  console.error('usage: node l1/invalidation-worker.mjs reader|writer <redis-url> <prefix>');
  process.exit(2);
}

const libUrl = libraryEntryUrl();
const lib = await import(libUrl);
const requireFromLib = createRequire(libUrl);
const fromLib = (spec) => import(pathToFileURL(requireFromLib.resolve(spec)).href);
const [{ Injectable, Inject, Module }, { NestFactory }] = await Promise.all([
  fromLib('@nestjs/common'),
  fromLib('@nestjs/core'),
]);
const { RedisCacheModule, ReadThrough, RedisCacheService, RedisPoolService } = lib;

const now = () => performance.timeOrigin + performance.now();
const emit = (event) => process.stdout.write(`${JSON.stringify({ pid: process.pid, ...event })}\n`);

class ItemService {
  constructor(pool) {
    this.pool = pool;
  }
  async get(id) {
    const v = await this.pool.execute((client) => client.get(`db:${id}`));
    return { id, v: Number(v ?? 0) };
  }
}
Inject(RedisPoolService)(ItemService, undefined, 0);
Injectable()(ItemService);
const descriptor = Object.getOwnPropertyDescriptor(ItemService.prototype, 'get');
Object.defineProperty(
  ItemService.prototype,
  'get',
  ReadThrough('item:{0}', '10m')(ItemService.prototype, 'get', descriptor) ?? descriptor,
);

class WorkerModule {}
Module({
  imports: [RedisCacheModule.forRoot({ url, prefix, ttl: '10m', operationTimeout: '5s', l1: true })],
  providers: [ItemService],
})(WorkerModule);

const app = await NestFactory.createApplicationContext(WorkerModule, { logger: ['error'] });
const service = app.get(ItemService);
const cache = app.get(RedisCacheService);
for (let waited = 0; cache.stats().l1Live !== true; waited += 5) {
  if (waited > 5_000) throw new Error(`${role}: the L1 is not live after 5 s`);
  await sleep(5);
}
emit({ event: 'ready', at: now() });

// The moment the L1 stops serving the old value is the push's arrival, not the next value's:
// after a DEL the next call must still miss, load and write before it has a value to show.
let droppedAt;
if (role === 'reader') {
  cache.events$.subscribe((event) => {
    if (event.type === 'l1-invalidation') droppedAt = now();
  });
}

let polling = false;
async function poll(id) {
  polling = true;
  let last;
  while (polling) {
    const startAt = now();
    const { v } = await service.get(id);
    if (v !== last) {
      last = v;
      const at = now();
      emit({ event: 'seen', v, at, callMs: at - startAt, droppedAt, l1Hits: cache.stats().l1Hits });
    }
    await new Promise(setImmediate);
  }
}

const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  const [cmd, a, b] = line.trim().split(' ');
  if (cmd === 'poll') {
    poll(Number(a)).catch((err) => {
      console.error(err);
      process.exit(1);
    });
  } else if (cmd === 'set') {
    const id = Number(a);
    const v = Number(b);
    const startAt = now();
    const ok = await cache.set(`item:${id}`, { id, v });
    emit({ event: 'written', v, ok, startAt, ackAt: now() });
  } else if (cmd === 'stop') {
    polling = false;
    emit({ event: 'stats', stats: cache.stats() });
    break;
  }
}
await app.close();
process.exit(0);

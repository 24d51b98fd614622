/**
 * The stampede lock across real processes on a real redis-server: several worker processes
 * (test/e2e/fixtures/lock-worker.mjs, on the built library) call one cold key at once. Runs are
 * counted with INCR in Redis; times are wall-clock readings of processes on this one machine.
 */
import 'reflect-metadata';
import { Inject, Injectable } from '@nestjs/common';
import { CapturingLogger, type TestingModule } from '@nestjs/testing';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ReadThrough, RedisPoolService } from '../../lib/index.js';
import { cacheTestingModule, loggedMessages, trackTestingModules } from '../helpers/nest-testing.helper.js';
import { eventually } from '../helpers/polling.helper.js';
import { connectionsNamed } from '../helpers/redis-cli.helper.js';
import { startRedisServer, type RedisServerHandle } from '../helpers/redis-server.js';
import { useTestRedis, uniquePrefix } from '../helpers/test-redis.js';
import { root, startTogether, startWorker, withClient } from './fixtures/lock-workers.js';

const redis = useTestRedis();

beforeAll(() => {
  if (!existsSync(resolve(root, 'dist/esm/index.js')))
    throw new Error('dist/ is missing: run `npm run build` (npm test does it first)');
});

describe('lock across processes', () => {
  it('4 processes × 250 concurrent calls on one cold key run the method once in total', async () => {
    const prefix = uniquePrefix('lock');
    const counterKey = `${prefix}:runs`;
    const env = {
      REDIS_URL: redis.url(),
      PREFIX: prefix,
      COUNTER_KEY: counterKey,
      CALLS: '250',
      METHOD_MS: '300',
      LOCK_TTL: '10s',
      LOCK_WAIT: '20s',
    };
    const workers = await startTogether(4, env);
    const codes = await Promise.all(workers.map((w) => w.exited));
    expect(codes).toEqual([0, 0, 0, 0]);
    const done = workers.map((w) => w.lines.find((l) => l.event === 'done')!);
    expect(done.map((d) => d.calls)).toEqual([250, 250, 250, 250]);
    // Every caller in every process got the value produced by the one process that ran it.
    expect(new Set(done.flatMap((d) => d.owners!)).size).toBe(1);
    expect(await withClient(redis.url(), (c) => c.get(counterKey))).toBe('1');
    expect(workers.flatMap((w) => w.lines).filter((l) => l.event === 'running')).toHaveLength(1);
  }, 60_000);

  it('default lock, a 7 s method, 2 processes × 100 callers: one run, every caller returns within 100 ms of the value landing', async () => {
    const prefix = uniquePrefix('lock-slow');
    const counterKey = `${prefix}:runs`;
    const env = {
      REDIS_URL: redis.url(),
      PREFIX: prefix,
      COUNTER_KEY: counterKey,
      CALLS: '100',
      METHOD_MS: '7000',
      LOCK: 'default',
    };
    const workers = await startTogether(2, env);
    expect(await Promise.all(workers.map((w) => w.exited))).toEqual([0, 0]);
    const all = workers.flatMap((w) => w.lines);
    // 7 s is past the default 5 s lock ttl: only the renewed lease keeps the other process waiting.
    expect(all.filter((l) => l.event === 'running')).toHaveLength(1);
    expect(await withClient(redis.url(), (c) => c.get(counterKey))).toBe('1');
    const landedAfter = all.find((l) => l.event === 'returning')!.at!;
    const holder = all.find((l) => l.event === 'running')!.pid;
    for (const w of workers) {
      const calling = w.lines.find((l) => l.event === 'calling')!;
      const done = w.lines.find((l) => l.event === 'done')!;
      // Both processes were calling before the value landed: the waiter really waited.
      expect(calling.at!).toBeLessThan(landedAfter);
      expect(done.owners).toEqual([holder]);
      expect(done.returnedAt).toHaveLength(100);
      // `landedAfter` is when the method returned, before the store: a lower bound of landing.
      const lags = done.returnedAt!.map((at) => at - landedAfter);
      expect(Math.min(...lags)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...lags)).toBeLessThan(100);
    }
  }, 60_000);

  it('a holder killed with SIGKILL stops renewing: its lock is gone within the ttl and the waiting process runs the method', async () => {
    const server = await startRedisServer();
    try {
      const prefix = uniquePrefix('lock-kill');
      const counterKey = `${prefix}:runs`;
      const base = {
        REDIS_URL: server.url,
        PREFIX: prefix,
        COUNTER_KEY: counterKey,
        CALLS: '1',
        LOCK_TTL: '1s',
        LOCK_WAIT: '30s',
      };
      const holder = startWorker({ ...base, METHOD_MS: '60000' });
      const follower = startWorker({ ...base, METHOD_MS: '10' });
      await Promise.all([holder.line('ready'), follower.line('ready')]);
      holder.go();
      await holder.line('running');
      follower.go();
      await withClient(server.url, async (client) => {
        const [lockKey] = await client.keys(`${prefix}:*__lock__*`);
        expect(lockKey).toBeDefined();
        const token = await client.get(lockKey!);
        // 2.5 ttls later the holder still holds its (renewed) lock and the follower still waits.
        await sleep(2_500);
        expect(await client.get(lockKey!)).toBe(token);
        expect(follower.lines.some((l) => l.event === 'running')).toBe(false);
        holder.child.kill('SIGKILL');
        const killedAt = Date.now();
        let freedAt: number | undefined;
        for (let i = 0; i < 300 && freedAt === undefined; i++) {
          if ((await client.get(lockKey!)) !== token) freedAt = Date.now();
          else await sleep(10);
        }
        expect(freedAt).toBeDefined();
        // The last renewal was at most a third of the ttl before the kill; 200 ms of slack for polling.
        expect(freedAt! - killedAt).toBeLessThan(1_000 + 200);
        const running = await follower.line('running', 10_000);
        // Taken over at the waiter's next poll after the expiry (a quarter of the ttl, plus jitter).
        expect(running.at! - killedAt).toBeLessThan(1_000 + 1_000);
      });
      await holder.exited;
      expect(await follower.exited).toBe(0);
      const done = follower.lines.find((l) => l.event === 'done')!;
      expect(done.owners).toEqual([done.pid]);
      expect(await server.command('GET', counterKey)).toBe('2');
    } finally {
      await server.stop();
    }
  }, 60_000);
});

const INSTANCE = Symbol('instance');
/** Shared by every app of a test, as Redis would be: method runs and when each value landed. */
const ledger = { runs: 0, returnedAt: new Map<string, number>() };

@Injectable()
class ReportService {
  constructor(@Inject(INSTANCE) private readonly instance: string) {}

  @ReadThrough('report:{0}', '1m', { lock: true })
  async build(id: string, ms: number): Promise<{ id: string; by: string }> {
    ledger.runs++;
    await sleep(ms);
    ledger.returnedAt.set(id, Date.now());
    return { id, by: this.instance };
  }
}

/**
 * Two apps in this process on one Redis and prefix, as two replicas: `a` starts a slow miss,
 * `b` asks for the same key 100 ms later and waits on the lock.
 */
describe('lock release announcements (pub/sub), two apps in one process', () => {
  const modules = trackTestingModules({ logger: () => new CapturingLogger() });
  let server: RedisServerHandle;

  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(() => server.stop());
  beforeEach(() => {
    ledger.runs = 0;
    ledger.returnedAt.clear();
  });

  async function twoApps(
    url: string,
    loggers = [new CapturingLogger(), new CapturingLogger()],
  ): Promise<TestingModule[]> {
    const prefix = uniquePrefix('lock-pubsub');
    return Promise.all(
      ['a', 'b'].map((name, i) =>
        modules.boot(
          cacheTestingModule({ url, prefix }, [ReportService, { provide: INSTANCE, useValue: name }]),
          loggers[i],
        ),
      ),
    );
  }

  /** One stampede on `id`: `a` holds, `b` waits. Resolves how long after the method returned `b` got the value. */
  async function stampede(apps: TestingModule[], id: string, ms: number): Promise<number> {
    const [a, b] = apps.map((app) => app.get(ReportService));
    const held = a!.build(id, ms);
    await sleep(100);
    const waited = await b!.build(id, ms);
    const lag = Date.now() - ledger.returnedAt.get(id)!;
    expect(await held).toEqual({ id, by: 'a' });
    expect(waited).toEqual({ id, by: 'a' });
    return lag;
  }

  it('opens one subscriber connection on the first locked miss, none before, and closes it at shutdown', async () => {
    const [app] = await twoApps(server.url);
    const name = app!.get(RedisPoolService).connectionName;
    const subscribed = async (): Promise<number> =>
      (await server.command('CLIENT', 'LIST'))
        .split('\n')
        .filter((line) => line.includes(` name=${name} `) && / sub=[1-9]/.test(line)).length;
    const before = await connectionsNamed(server, name);
    expect(await subscribed()).toBe(0);
    await app!.get(ReportService).build('r0', 10);
    expect(await eventually(5_000, async () => (await subscribed()) === 1)).toBe(true);
    expect(await connectionsNamed(server, name)).toBe(before + 1);
    await modules.closeAll();
    expect(await connectionsNamed(server, name)).toBe(0);
  }, 30_000);

  it('wakes waiters again once the subscriber is back after CLIENT KILL TYPE pubsub', async () => {
    const apps = await twoApps(server.url);
    expect(await stampede(apps, 'r1', 300)).toBeLessThan(100);
    const channel = `${apps[0]!.get(RedisPoolService).connectionName.replace(/:readthrough$/, '')}:__lock__`;
    const subscribers = async (): Promise<number> =>
      Number((await server.command('PUBSUB', 'NUMSUB', channel)).split('\n')[1]);
    expect(await subscribers()).toBe(2);
    await server.command('CLIENT', 'KILL', 'TYPE', 'pubsub');
    // node-redis reconnects and resubscribes on its own.
    expect(await eventually(5_000, async () => (await subscribers()) === 2)).toBe(true);
    // 1.5 s method, 5 s default ttl: a poll would come only 1–1.25 s apart; the announcement is at once.
    expect(await stampede(apps, 'r2', 1_500)).toBeLessThan(100);
    expect(ledger.runs).toBe(2);
  }, 30_000);

  it('with no channel permission (ACL resetchannels), waiters poll: the method still runs once and every call succeeds', async () => {
    await server.command('ACL', 'SETUSER', 'nochannels', 'on', '>secret', '~*', 'resetchannels', '+@all');
    const url = server.url.replace('redis://', 'redis://nochannels:secret@');
    // One logger for both apps: Nest's logger override is process-wide anyway.
    const logs = new CapturingLogger();
    const apps = await twoApps(url, [logs, logs]);
    const lag = await stampede(apps, 'r1', 600);
    expect(ledger.runs).toBe(1);
    // Polled every 20–40 ms while the subscriber is not live; generous slack for a loaded machine.
    expect(lag).toBeLessThan(500);
    // The subscriber really was refused (and only logged it).
    expect(loggedMessages(logs, 'warn').some((line) => line.includes('SUBSCRIBE') && line.includes('NOPERM'))).toBe(
      true,
    );
  }, 30_000);
});

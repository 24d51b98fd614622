import { RedisCacheConnectionError } from '../../../lib/errors/redis-cache-connection.error.js';
import { RedisCacheTimeoutError } from '../../../lib/errors/redis-cache-timeout.error.js';
import { OperationDeadline } from '../../../lib/utils/operation-deadline.util.js';
import { TranspiledLib } from '../support/transpiled-lib.helper.js';

const never = <T = unknown>(): Promise<T> => new Promise<T>(() => undefined);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A promise with its settle functions, to settle it from the test. */
function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Entries still linked in the deadline's internal list (white box: checks the list is trimmed). */
function linkedEntries(deadline: OperationDeadline): number {
  let count = 0;
  for (
    let entry = (deadline as unknown as { head?: { next?: unknown } }).head;
    entry;
    entry = entry.next as typeof entry
  )
    count++;
  return count;
}

describe('OperationDeadline', () => {
  let deadline: OperationDeadline;
  afterEach(() => deadline?.dispose());

  it('resolves with the value of the wrapped promise', async () => {
    deadline = new OperationDeadline(1_000);
    await expect(deadline.run(Promise.resolve('value'), 'GET')).resolves.toBe('value');
  });

  it('rejects with the very error of the wrapped promise', async () => {
    deadline = new OperationDeadline(1_000);
    const failure = new Error('ECONNRESET');
    await expect(deadline.run(Promise.reject(failure), 'GET')).rejects.toBe(failure);
  });

  it('resolves a value that arrives later, but before the deadline', async () => {
    deadline = new OperationDeadline(200);
    const d = deferred<number>();
    const run = deadline.run(d.promise, 'GET');
    setTimeout(() => d.resolve(42), 20);
    await expect(run).resolves.toBe(42);
  });

  it('rejects a never-settling operation with RedisCacheTimeoutError after the timeout, not before', async () => {
    deadline = new OperationDeadline(30);
    const started = performance.now();
    const error = await deadline.run(never(), 'GET user:1').then(
      () => undefined,
      (e: unknown) => e,
    );
    const elapsed = performance.now() - started;
    expect(error).toBeInstanceOf(RedisCacheTimeoutError);
    expect(error).toBeInstanceOf(RedisCacheConnectionError);
    expect((error as RedisCacheTimeoutError).code).toBe('E_REDIS_CACHE_TIMEOUT');
    expect((error as RedisCacheTimeoutError).timeoutMs).toBe(30);
    expect((error as Error).message).toContain('GET user:1');
    expect(elapsed).toBeGreaterThanOrEqual(25);
    expect(elapsed).toBeLessThan(1_000);
  });

  it('ignores a value that arrives after the deadline', async () => {
    deadline = new OperationDeadline(20);
    const d = deferred<string>();
    const run = deadline.run(d.promise, 'GET');
    await expect(run).rejects.toBeInstanceOf(RedisCacheTimeoutError);
    d.resolve('too late');
    await sleep(5);
    await expect(run).rejects.toBeInstanceOf(RedisCacheTimeoutError);
  });

  it('counts the operations in flight', async () => {
    deadline = new OperationDeadline(1_000);
    const a = deferred<number>();
    const b = deferred<number>();
    const runs = [deadline.run(a.promise, 'A'), deadline.run(b.promise, 'B')];
    expect(deadline.tracked).toBe(2);
    b.resolve(2);
    await runs[1];
    expect(deadline.tracked).toBe(1);
    a.resolve(1);
    await runs[0];
    expect(deadline.tracked).toBe(0);
  });

  it('keeps nothing after 1,000 quick operations have settled and one more is enqueued', async () => {
    deadline = new OperationDeadline(1_000);
    const runs = Array.from({ length: 1_000 }, (_, i) =>
      deadline
        .run(i % 10 === 0 ? Promise.reject(new Error(`e${i}`)) : Promise.resolve(i), `op${i}`)
        .catch((e: unknown) => e),
    );
    const settled = await Promise.all(runs);
    expect(settled.filter((r) => r instanceof Error)).toHaveLength(100);
    expect(deadline.tracked).toBe(0);
    const last = deferred<string>();
    const lastRun = deadline.run(last.promise, 'last');
    expect(deadline.tracked).toBe(1);
    // The 1,000 settled entries were dropped from the list; only the new one is linked.
    expect(linkedEntries(deadline)).toBe(1);
    last.resolve('done');
    await expect(lastRun).resolves.toBe('done');
    expect(deadline.tracked).toBe(0);
  });

  it('causes no unhandled rejection when the operation fails after its deadline', async () => {
    // jest-circus fails the running test on any unhandled rejection (it owns the process
    // listeners, so a listener added here would never be called): a leak fails this test.
    deadline = new OperationDeadline(20);
    const late = deferred<never>();
    await expect(deadline.run(late.promise, 'SET')).rejects.toBeInstanceOf(RedisCacheTimeoutError);
    late.reject(new Error('socket closed after the deadline'));
    await sleep(20);
    expect(deadline.tracked).toBe(0);
  });

  describe('observer', () => {
    function recordingObserver(): { events: string[]; succeeded(): void; failed(error: unknown): void } {
      const events: string[] = [];
      return {
        events,
        succeeded: () => events.push('succeeded'),
        failed: (error: unknown) => events.push(`failed:${(error as Error).name}:${(error as Error).message}`),
      };
    }

    it('is told once about each success, failure and timeout', async () => {
      const observer = recordingObserver();
      deadline = new OperationDeadline(20, observer);
      await deadline.run(Promise.resolve(1), 'ok');
      await deadline.run(Promise.reject(new Error('refused')), 'bad').catch(() => undefined);
      const late = deferred<number>();
      await deadline.run(late.promise, 'slow').catch(() => undefined);
      late.resolve(1);
      await sleep(5);
      expect(observer.events).toEqual([
        'succeeded',
        'failed:Error:refused',
        'failed:RedisCacheTimeoutError:Redis cache operation "slow" timed out after 20 ms',
      ]);
    });
  });

  describe('in a plain node process (real process listeners)', () => {
    let lib: TranspiledLib | undefined;
    afterAll(() => lib?.dispose());

    it('reports no unhandled rejection for late failures, while a control rejection is seen', () => {
      lib = TranspiledLib.create();
      const result = lib.runJson<{ control: string[]; unhandled: string[]; timeouts: number }>(`
        import { OperationDeadline } from './utils/operation-deadline.util.js';
        const unhandled = [];
        process.on('unhandledRejection', (reason) => unhandled.push(String(reason && reason.message)));
        const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
        // The deadline's timer is unref'd by design; in an app the Redis socket keeps node alive.
        const keepAlive = setInterval(() => {}, 1000);
        void Promise.reject(new Error('control'));
        await sleep(10);
        const control = unhandled.splice(0);
        const deadline = new OperationDeadline(20);
        const rejects = [];
        const runs = [];
        for (let i = 0; i < 20; i++) {
          const underlying = new Promise((_, reject) => rejects.push(reject));
          runs.push(deadline.run(underlying, 'op' + i).then(() => 'resolved', (e) => e.code));
        }
        const codes = await Promise.all(runs);
        rejects.forEach((reject, i) => reject(new Error('late ' + i)));
        await sleep(30);
        clearInterval(keepAlive);
        process.stdout.write(JSON.stringify({ control, unhandled, timeouts: codes.filter((c) => c === 'E_REDIS_CACHE_TIMEOUT').length }));
      `);
      expect(result.control).toEqual(['control']);
      expect(result.timeouts).toBe(20);
      expect(result.unhandled).toEqual([]);
    }, 60_000);
  });

  it('rejects exactly the operations that hang, when many interleave', async () => {
    deadline = new OperationDeadline(60);
    const total = 60;
    const hangs = (i: number): boolean => i % 3 === 1 || i % 7 === 0;
    const runs: Promise<PromiseSettledResult<unknown>>[] = [];
    for (let i = 0; i < total; i++) {
      let operation: Promise<unknown>;
      if (hangs(i)) operation = never();
      else if (i % 5 === 0) operation = sleep(i % 11).then(() => Promise.reject(new Error(`failed ${i}`)));
      else operation = sleep(i % 13).then(() => `value ${i}`);
      // Settle handlers attached at once: the outcomes are collected after all starts.
      runs.push(
        deadline.run(operation, `op ${i}`).then(
          (value): PromiseSettledResult<unknown> => ({ status: 'fulfilled', value }),
          (reason: unknown): PromiseSettledResult<unknown> => ({ status: 'rejected', reason }),
        ),
      );
      // Spread the starts over a few event-loop turns.
      if (i % 10 === 9) await sleep(2);
    }
    const outcomes = await Promise.all(runs);
    outcomes.forEach((outcome, i) => {
      if (hangs(i)) {
        expect(outcome.status).toBe('rejected');
        expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(RedisCacheTimeoutError);
        expect(((outcome as PromiseRejectedResult).reason as Error).message).toContain(`"op ${i}"`);
      } else if (i % 5 === 0) {
        expect(outcome).toEqual({ status: 'rejected', reason: new Error(`failed ${i}`) });
      } else {
        expect(outcome).toEqual({ status: 'fulfilled', value: `value ${i}` });
      }
    });
    expect(deadline.tracked).toBe(0);
  });

  it('times out operations started after an earlier batch expired (the timer is re-armed)', async () => {
    deadline = new OperationDeadline(20);
    await expect(deadline.run(never(), 'first')).rejects.toBeInstanceOf(RedisCacheTimeoutError);
    await sleep(30);
    const started = performance.now();
    await expect(deadline.run(never(), 'second')).rejects.toBeInstanceOf(RedisCacheTimeoutError);
    expect(performance.now() - started).toBeGreaterThanOrEqual(15);
  });

  it('gives a late operation its full timeout even when an earlier one holds the timer', async () => {
    deadline = new OperationDeadline(50);
    const first = deferred<string>();
    const firstRun = deadline.run(first.promise, 'first');
    await sleep(30);
    const started = performance.now();
    const secondRun = deadline.run(never(), 'second');
    first.resolve('ok');
    await expect(firstRun).resolves.toBe('ok');
    await expect(secondRun).rejects.toBeInstanceOf(RedisCacheTimeoutError);
    expect(performance.now() - started).toBeGreaterThanOrEqual(45);
  });
});

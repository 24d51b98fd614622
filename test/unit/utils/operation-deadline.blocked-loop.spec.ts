import { RedisCacheTimeoutError } from '../../../lib/errors/redis-cache-timeout.error.js';
import { OperationDeadline } from '../../../lib/utils/operation-deadline.util.js';

/**
 * When the deadline's clock runs: from the event-loop turn in which an operation can reach the
 * wire, and never charging Redis for time the loop itself was blocked (a timer firing late).
 * Real timers and a real busy loop; no Redis involved.
 */

const never = <T = unknown>(): Promise<T> => new Promise<T>(() => undefined);

/** A promise with its settle functions, to settle it from the test. */
function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((res) => {
    resolve = res;
  });
  return { promise, resolve };
}

describe('OperationDeadline with a blocked event loop', () => {
  let deadline: OperationDeadline;
  afterEach(() => deadline?.dispose());

  /** Blocks the event loop for `ms` (a burst being issued, a long synchronous task). */
  function block(ms: number): void {
    const until = performance.now() + ms;
    while (performance.now() < until) {
      // busy: nothing else can run, no reply can be read
    }
  }

  it('starts the clock after the synchronous stretch that started the operation (when it can reach the wire)', async () => {
    deadline = new OperationDeadline(60);
    const d = deferred<string>();
    const run = deadline.run(d.promise, 'GET');
    // Issuing a burst: 50 ms in which nothing could be written.
    block(50);
    // Answered 30 ms after the loop is free: 80 ms after the call, but 30 ms after the write.
    setTimeout(() => d.resolve('answered'), 30);
    await expect(run).resolves.toBe('answered');
  });

  it('does not time out an operation whose answer was ready while the loop was blocked', async () => {
    deadline = new OperationDeadline(30);
    const d = deferred<string>();
    const run = deadline.run(d.promise, 'GET');
    // Let the operation reach the wire (its clock starts), then block the loop past the deadline.
    await new Promise((resolve) => setImmediate(resolve));
    // The "reply" is due 5 ms after the deadline; the loop is blocked well past both.
    setTimeout(() => d.resolve('answered'), 35);
    block(80);
    await expect(run).resolves.toBe('answered');
  });

  it('still times out an unanswered operation, at most one timeout after the loop is free again', async () => {
    deadline = new OperationDeadline(30);
    const started = performance.now();
    const run = deadline.run(never(), 'GET').then(
      () => undefined,
      (e: unknown) => e,
    );
    await new Promise((resolve) => setImmediate(resolve));
    block(80);
    const error = await run;
    expect(error).toBeInstanceOf(RedisCacheTimeoutError);
    // 80 ms blocked, then at most one 30 ms postponement, plus scheduling noise.
    expect(performance.now() - started).toBeLessThan(80 + 30 + 150);
  });
});

import { RedisCacheConnectionError } from '../../../lib/errors/redis-cache-connection.error.js';
import { RedisCacheTimeoutError } from '../../../lib/errors/redis-cache-timeout.error.js';
import { CommandWindow } from '../../../lib/connection/redis-command.window.js';

/**
 * The window's own bookkeeping (slots, FIFO, caps, flushes) on hand-settled commands: no Redis
 * behaviour is simulated here. Bursts and stalls against a real redis-server are in
 * test/e2e/redis-burst.e2e.spec.ts.
 */

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A command target whose replies the test settles by hand, in any order. */
class HandSettled {
  readonly sent: string[] = [];
  private readonly pending = new Map<string, { resolve: (v: string) => void; reject: (e: unknown) => void }>();

  send(name: string): Promise<string> {
    this.sent.push(name);
    return new Promise<string>((resolve, reject) => this.pending.set(name, { resolve, reject }));
  }

  answer(name: string): void {
    const p = this.pending.get(name);
    if (!p) throw new Error(`${name} was never sent`);
    this.pending.delete(name);
    p.resolve(`reply:${name}`);
  }
}

const outcome = (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    (v) => v,
    (e: unknown) => e,
  );

describe('CommandWindow', () => {
  let window: CommandWindow | undefined;
  afterEach(() => window?.dispose());

  it('writes at most maxInFlight commands, queues the rest, and writes them in FIFO order as slots free', async () => {
    window = new CommandWindow(1_000, undefined, 2, 10);
    const target = new HandSettled();
    const runs = ['a', 'b', 'c', 'd'].map((n) => window!.submit(target, (t) => t.send(n), n));
    expect(target.sent).toEqual(['a', 'b']);
    expect(window.waiting).toBe(2);
    target.answer('b');
    await expect(runs[1]).resolves.toBe('reply:b');
    expect(target.sent).toEqual(['a', 'b', 'c']);
    target.answer('a');
    await expect(runs[0]).resolves.toBe('reply:a');
    expect(target.sent).toEqual(['a', 'b', 'c', 'd']);
    target.answer('c');
    target.answer('d');
    await expect(Promise.all(runs.slice(2))).resolves.toEqual(['reply:c', 'reply:d']);
    expect(window.written).toBe(4);
    expect(window.waiting).toBe(0);
  });

  it('starts the deadline at the write: a command queued longer than the timeout still gets its answer', async () => {
    window = new CommandWindow(60, undefined, 1, 10);
    const target = new HandSettled();
    const first = window.submit(target, (t) => t.send('first'), 'first');
    const queued = window.submit(target, (t) => t.send('queued'), 'queued');
    // 'first' is answered within its own deadline, after 'queued' has waited about as long.
    await sleep(40);
    target.answer('first');
    await expect(first).resolves.toBe('reply:first');
    await sleep(40);
    // Queued for ~80 ms in total, more than the 60 ms timeout, but written only ~40 ms ago.
    target.answer('queued');
    await expect(queued).resolves.toBe('reply:queued');
  });

  it('refuses a command at once when the queue is full, and counts it', async () => {
    window = new CommandWindow(1_000, undefined, 1, 2);
    const target = new HandSettled();
    const runs = ['a', 'b', 'c'].map((n) => window!.submit(target, (t) => t.send(n), n));
    const refused = await outcome(window.submit(target, (t) => t.send('d'), 'd'));
    expect(refused).toBeInstanceOf(RedisCacheConnectionError);
    expect((refused as Error).message).toContain('2 cache commands already waiting');
    expect(window.shed).toBe(1);
    expect(target.sent).toEqual(['a']);
    for (const n of ['a', 'b', 'c']) {
      target.answer(n);
      await sleep(0);
    }
    await expect(Promise.all(runs)).resolves.toEqual(['reply:a', 'reply:b', 'reply:c']);
  });

  it('written commands timing out in a row reject every queued command at once (they would wait behind a stalled connection)', async () => {
    window = new CommandWindow(40, undefined, 5, 10);
    const target = new HandSettled();
    const heads = ['h1', 'h2', 'h3', 'h4', 'h5'].map((n) => outcome(window!.submit(target, (t) => t.send(n), n)));
    const queued = ['q1', 'q2', 'q3'].map((n) => outcome(window!.submit(target, (t) => t.send(n), n)));
    const timeouts = await Promise.all(heads);
    for (const head of timeouts) expect(head).toBeInstanceOf(RedisCacheTimeoutError);
    const errors = await Promise.all(queued);
    for (const error of errors) {
      expect(error).toBeInstanceOf(RedisCacheConnectionError);
      expect(error).not.toBeInstanceOf(RedisCacheTimeoutError);
      // Rejected by the heads' stall (their own timeout error is the cause), never written and
      // never left to time out on their own; no wall-clock bound, which a loaded CI box breaks.
      expect(timeouts).toContain((error as Error).cause);
    }
    expect(target.sent).toEqual(['h1', 'h2', 'h3', 'h4', 'h5']);
    expect(window.waiting).toBe(0);
  });

  it('one slow command is not a stall: the queue behind it is written once the connection answers again', async () => {
    // 'answered' is written half a timeout after 'slow': each margin the test relies on is
    // 200 ms, which a loaded CI box does not eat (with 40 ms it did, and the test failed there).
    window = new CommandWindow(400, undefined, 2, 10);
    const target = new HandSettled();
    const slow = outcome(window.submit(target, (t) => t.send('slow'), 'slow'));
    await sleep(200);
    const answered = window.submit(target, (t) => t.send('answered'), 'answered');
    const queued = window.submit(target, (t) => t.send('queued'), 'queued');
    expect(await slow).toBeInstanceOf(RedisCacheTimeoutError);
    // Its slot is not refilled while nothing answers...
    expect(target.sent).toEqual(['slow', 'answered']);
    expect(window.waiting).toBe(1);
    // ...and is, as soon as something does.
    target.answer('answered');
    await expect(answered).resolves.toBe('reply:answered');
    expect(target.sent).toEqual(['slow', 'answered', 'queued']);
    target.answer('queued');
    await expect(queued).resolves.toBe('reply:queued');
  });

  it('rejectWaiting() rejects the queued commands only; written ones still get their answer', async () => {
    window = new CommandWindow(1_000, undefined, 1, 10);
    const target = new HandSettled();
    const written = window.submit(target, (t) => t.send('w'), 'w');
    const queued = outcome(window.submit(target, (t) => t.send('q'), 'q'));
    const reason = new RedisCacheConnectionError('breaker open');
    window.rejectWaiting(reason);
    expect(await queued).toBe(reason);
    target.answer('w');
    await expect(written).resolves.toBe('reply:w');
    expect(target.sent).toEqual(['w']);
  });

  it('a command that throws synchronously is a rejection that frees its slot and is reported to the observer', async () => {
    const events: string[] = [];
    window = new CommandWindow(
      1_000,
      { succeeded: () => events.push('ok'), failed: (e) => events.push(`failed:${(e as Error).message}`) },
      1,
      10,
    );
    const target = new HandSettled();
    const thrown = outcome(
      window.submit(
        target,
        () => {
          throw new Error('client closed');
        },
        'boom',
      ),
    );
    const next = window.submit(target, (t) => t.send('next'), 'next');
    expect((await thrown) as Error).toEqual(new Error('client closed'));
    await sleep(0);
    target.answer('next');
    await expect(next).resolves.toBe('reply:next');
    expect(events).toEqual(['failed:client closed', 'ok']);
  });
});

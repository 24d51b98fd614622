import { RedisCacheConnectionError } from '../errors/redis-cache-connection.error.js';
import { RedisCacheTimeoutError } from '../errors/redis-cache-timeout.error.js';
import { OperationDeadline, type OperationObserver } from '../utils/operation-deadline.util.js';

/**
 * Commands written to the connection and not yet answered, at most. Measured with 10,000
 * concurrent hits on 1 KB entries (loaded 2-core box, 300 ms timeout): windows of 64 and 512
 * had 0 timeouts, 4,096 had 3,470–4,988 (the replies of one window took longer than the timeout
 * to read and decode). 512 keeps an 8x margin and still pipelines 512 commands per round trip
 * on a real network; node-redis' own queue (`commandsQueueMaxLength`, 10,000 here) never fills.
 */
export const DEFAULT_MAX_IN_FLIGHT = 512;

/**
 * Commands waiting for a slot, at most; beyond it a command fails at once (fail open) and is
 * counted in {@link CommandWindow.shed}. A few MB of queued closures in the worst case.
 */
export const DEFAULT_MAX_WAITING = 32_768;

/**
 * Timeouts in a row, with no command answered in between, that mean the connection is stalled
 * (the circuit breaker's default threshold too). One slow command (a large value, a hiccup) is
 * not a stall and must not fail thousands of queued calls.
 */
const STALL_AFTER_TIMEOUTS = 5;

interface Waiting {
  readonly context: unknown;
  readonly command: (context: unknown) => Promise<unknown>;
  readonly name: string;
  readonly resolve: (value: unknown) => void;
  readonly reject: (reason: unknown) => void;
  next: Waiting | undefined;
}

/**
 * Bounds how many commands are in flight on one connection, queues the rest in a FIFO, and
 * starts each command's deadline when it is written.
 *
 * Why: a deadline started at the call also counts the time a command sits behind thousands of
 * others in the client. 10,000 concurrent hits on a healthy Redis then "timed out" by the
 * thousands, opened the circuit breaker and ran the method for each: a burst became a stampede
 * on the origin. With a window, the deadline measures Redis, not our own queue. A stalled Redis
 * is still detected within the timeout: the written commands time out, and a few of them in a
 * row reject everything queued behind them at once (it could only wait behind the same stalled
 * connection); an open circuit breaker does the same.
 */
export class CommandWindow {
  private readonly deadline: OperationDeadline;
  private inFlight = 0;
  private head: Waiting | undefined;
  private tail: Waiting | undefined;
  private waitingCount = 0;
  private writtenCount = 0;
  private shedCount = 0;
  private silentTimeouts = 0;

  /**
   * @param timeoutMs deadline of each command, from its write
   * @param observer told how each written command ended (for a circuit breaker)
   * @param maxInFlight commands written and not yet answered, at most
   * @param maxWaiting commands queued for a slot, at most
   */
  constructor(
    readonly timeoutMs: number,
    private readonly observer?: OperationObserver,
    readonly maxInFlight = DEFAULT_MAX_IN_FLIGHT,
    readonly maxWaiting = DEFAULT_MAX_WAITING,
  ) {
    this.deadline = new OperationDeadline(timeoutMs, {
      succeeded: () => {
        this.inFlight--;
        this.silentTimeouts = 0;
        this.observer?.succeeded();
        if (this.head !== undefined) this.drain();
      },
      failed: (error) => {
        this.inFlight--;
        this.observer?.failed(error);
        if (!(error instanceof RedisCacheTimeoutError)) {
          this.silentTimeouts = 0;
          this.drain();
          return;
        }
        // A timed-out slot is refilled only once the connection answers again: writing more to
        // a stalled connection would only make more callers wait out a timeout.
        this.silentTimeouts++;
        if (this.silentTimeouts >= STALL_AFTER_TIMEOUTS || this.inFlight === 0) this.stalled(error);
      },
    });
  }

  /** Commands written since start-up. */
  get written(): number {
    return this.writtenCount;
  }

  /** Commands refused because the queue was full. */
  get shed(): number {
    return this.shedCount;
  }

  /** Commands queued for a slot now. */
  get waiting(): number {
    return this.waitingCount;
  }

  /**
   * Writes `command(context)` now if a slot is free, else queues it (FIFO). Rejects with
   * {@link RedisCacheTimeoutError} `timeoutMs` after the write, and with
   * {@link RedisCacheConnectionError} when the queue is full or a stall flushes it.
   */
  submit<C, T>(context: C, command: (context: C) => Promise<T>, name: string): Promise<T> {
    // The hit path: a free slot and nobody queued ahead (FIFO), so no allocation beyond the deadline's.
    if (this.inFlight < this.maxInFlight && this.head === undefined)
      return this.deadline.run(this.write(context, command), name);
    if (this.waitingCount >= this.maxWaiting) {
      this.shedCount++;
      return Promise.reject(
        new RedisCacheConnectionError(
          `Redis skipped: ${this.waitingCount} cache commands already waiting for the connection (${name})`,
        ),
      );
    }
    return new Promise<T>((resolve, reject) => {
      const entry: Waiting = {
        context,
        command: command as (context: unknown) => Promise<unknown>,
        name,
        resolve: resolve as (value: unknown) => void,
        reject,
        next: undefined,
      };
      if (this.tail) this.tail.next = entry;
      else this.head = entry;
      this.tail = entry;
      this.waitingCount++;
    });
  }

  /**
   * Rejects every queued command with `reason` (e.g. the circuit breaker opened). One error
   * for all of them: building 10,000 stack traces at the moment of a stall took hundreds of ms
   * on a loaded 2-core box, during which no call could fail open.
   */
  rejectWaiting(reason: Error): void {
    let entry = this.head;
    this.head = this.tail = undefined;
    this.waitingCount = 0;
    for (; entry; entry = entry.next) entry.reject(reason);
  }

  /** Stops the deadline's timer (at shutdown). */
  dispose(): void {
    this.deadline.dispose();
  }

  /** Counts the slot and starts the command; a synchronous throw becomes a rejection that frees the slot. */
  private write<C, T>(context: C, command: (context: C) => Promise<T>): Promise<T> {
    this.inFlight++;
    this.writtenCount++;
    try {
      return command(context);
    } catch (error) {
      // node-redis throws synchronously in some states (closed client). The deadline's observer
      // settles the slot and tells the breaker, or a half-open probe would never finish.
      return Promise.reject(error);
    }
  }

  /** Writes queued commands while slots are free. */
  private drain(): void {
    while (this.head !== undefined && this.inFlight < this.maxInFlight) {
      const entry = this.head;
      this.head = entry.next;
      if (this.head === undefined) this.tail = undefined;
      this.waitingCount--;
      this.deadline.track(this.write(entry.context, entry.command), entry.name, entry.resolve, entry.reject);
    }
  }

  private stalled(timeout: RedisCacheTimeoutError): void {
    if (this.head === undefined) return;
    this.rejectWaiting(
      new RedisCacheConnectionError(
        `Redis skipped: the cache commands ahead got no answer within ${timeout.timeoutMs} ms`,
        { cause: timeout },
      ),
    );
  }
}

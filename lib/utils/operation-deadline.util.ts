import { RedisCacheTimeoutError } from '../errors/redis-cache-timeout.error.js';

/** Told how each bounded operation ended (e.g. by a circuit breaker). */
export interface OperationObserver {
  succeeded(): void;
  /** Also called with the {@link RedisCacheTimeoutError} of an operation that timed out. */
  failed(error: unknown): void;
}

/**
 * A timer that fires this much later than it was due means the event loop was blocked (a
 * burst being issued, a long synchronous task). Replies may then be sitting unread in the
 * socket, so expiry is postponed once, by as long as the loop was blocked (at most one timeout).
 */
const LOOP_LAG_TOLERANCE_MS = 20;

interface PendingOperation {
  /** `Infinity` until stamped, in the event-loop turn after the operation started. */
  expiresAt: number;
  readonly operation: string;
  reject: ((reason: unknown) => void) | undefined;
  next: PendingOperation | undefined;
}

/**
 * Bounds every cache operation by one fixed timeout without a timer per operation.
 *
 * Why: node-redis v6's own `commandOptions.timeout` does not cover commands already written
 * to the socket (a paused server hangs them forever), and it allocates an
 * `AbortSignal.timeout` per command (GET at concurrency 64 measured ~57k ops/s with it, ~85k
 * without). Here every operation gets the same timeout, so deadlines arrive in insertion
 * order: a FIFO list plus ONE re-armed, unref'd timer is enough. Redis answers a connection in
 * order, so the head settles first and is dropped on the next insert; the list stays as long
 * as the number of operations in flight.
 *
 * The clock starts when the operation reaches the wire: node-redis writes the commands of a tick
 * in a `setImmediate`, so operations are stamped in one `setImmediate` queued after it (one per
 * batch, not per operation). Issuing 10,000 calls in one synchronous stretch took 200–900 ms on a
 * loaded box, and none of them had been written meanwhile. Callers that queue work of their own
 * call {@link run} / {@link track} when they hand it to the connection, so the deadline measures
 * the server, not a queue.
 */
export class OperationDeadline {
  private head: PendingOperation | undefined;
  private tail: PendingOperation | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** When the armed timer is due (`performance.now()` clock). */
  private dueAt = 0;
  /** The operation whose expiry was last postponed: each operation is postponed at most once. */
  private postponed: PendingOperation | undefined;
  /** The first operation not stamped yet (the rest of the list from there on is unstamped too). */
  private unstamped: PendingOperation | undefined;
  private stamping: NodeJS.Immediate | undefined;
  private readonly stamp = (): void => {
    this.stamping = undefined;
    const expiresAt = performance.now() + this.timeoutMs;
    for (let entry = this.unstamped; entry; entry = entry.next) entry.expiresAt = expiresAt;
    this.unstamped = undefined;
    if (!this.timer && this.head) this.arm(this.timeoutMs);
  };

  /**
   * @param timeoutMs the deadline of every operation
   * @param observer told how each operation ended (for a circuit breaker); `failed` also on timeout
   */
  constructor(
    readonly timeoutMs: number,
    private readonly observer?: OperationObserver,
  ) {}

  /**
   * Resolves or rejects like `promise`, or rejects with {@link RedisCacheTimeoutError} once
   * `timeoutMs` has passed. The underlying promise keeps a handler, so its late failure is
   * never an unhandled rejection.
   */
  run<T>(promise: Promise<T>, operation: string): Promise<T> {
    return new Promise<T>((resolve, reject) => this.track(promise, operation, resolve, reject));
  }

  /**
   * {@link run} for a caller that already holds a promise's settle functions (a command that
   * waited in a queue): settles them instead of allocating another promise.
   */
  track<T>(
    promise: Promise<T>,
    operation: string,
    resolve: (value: T) => void,
    reject: (reason: unknown) => void,
  ): void {
    const entry: PendingOperation = {
      expiresAt: Number.POSITIVE_INFINITY,
      operation,
      reject,
      next: undefined,
    };
    this.enqueue(entry);
    promise.then(
      (value) => {
        if (entry.reject === undefined) return;
        entry.reject = undefined;
        this.observer?.succeeded();
        resolve(value);
      },
      (error: unknown) => {
        if (entry.reject === undefined) return;
        entry.reject = undefined;
        this.observer?.failed(error);
        reject(error);
      },
    );
  }

  /** Number of operations still tracked (settled ones are dropped lazily). For tests and stats. */
  get tracked(): number {
    let count = 0;
    for (let entry = this.head; entry; entry = entry.next) if (entry.reject) count++;
    return count;
  }

  /** Stops the timer; pending operations are left to settle on their own. */
  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.stamping) clearImmediate(this.stamping);
    this.timer = undefined;
    this.stamping = undefined;
  }

  private enqueue(entry: PendingOperation): void {
    this.dropSettledHead();
    if (this.tail && this.head) this.tail.next = entry;
    else this.head = entry;
    this.tail = entry;
    this.unstamped ??= entry;
    this.stamping ??= setImmediate(this.stamp);
  }

  private dropSettledHead(): void {
    while (this.head && this.head.reject === undefined) this.head = this.head.next;
    if (!this.head) this.tail = this.unstamped = undefined;
  }

  private arm(delayMs: number): void {
    const ms = Math.max(1, Math.ceil(delayMs));
    this.dueAt = performance.now() + ms;
    this.timer = setTimeout(() => this.expire(), ms);
    // A deadline must never keep a process alive on its own.
    this.timer.unref();
  }

  private expire(): void {
    this.timer = undefined;
    const now = performance.now();
    this.dropSettledHead();
    const head = this.head;
    const lag = now - this.dueAt;
    if (head && head !== this.postponed && head.expiresAt <= now && lag > LOOP_LAG_TOLERANCE_MS) {
      // Time the loop could not read replies is not time Redis failed to answer in.
      this.postponed = head;
      this.arm(Math.min(lag, this.timeoutMs));
      return;
    }
    let expired: PendingOperation[] | undefined;
    // Unlink first, reject after: the observer may start new operations (a queued command
    // taking the freed slot), and those must find the list and the timer consistent.
    while (this.head && (this.head.reject === undefined || this.head.expiresAt <= now)) {
      const entry = this.head;
      if (entry.reject) (expired ??= []).push(entry);
      this.head = entry.next;
    }
    // Not kept past its turn: it links to the entries behind it.
    if (this.head !== this.postponed) this.postponed = undefined;
    // An unstamped head is armed by the stamp itself.
    if (this.head && this.head.expiresAt !== Number.POSITIVE_INFINITY) this.arm(this.head.expiresAt - now);
    else if (!this.head) this.tail = this.unstamped = undefined;
    if (!expired) return;
    for (const entry of expired) {
      const reject = entry.reject;
      if (!reject) continue;
      entry.reject = undefined;
      const timeout = new RedisCacheTimeoutError(entry.operation, this.timeoutMs);
      this.observer?.failed(timeout);
      reject(timeout);
    }
  }
}

import { RedisCacheTimeoutError } from '../errors/redis-cache-timeout.error.js';

interface PendingOperation {
  readonly expiresAt: number;
  readonly operation: string;
  reject: ((reason: unknown) => void) | undefined;
  next: PendingOperation | undefined;
}

/**
 * Bounds every cache operation by one fixed timeout without a timer per operation.
 *
 * Why: node-redis v6's own `commandOptions.timeout` does not cover commands already written
 * to the socket (a paused server hangs them forever), and it allocates an
 * `AbortSignal.timeout` per command, which halves GET throughput at concurrency 64
 * (RELIABILITY.md §1). Here every operation gets the same timeout, so deadlines arrive in
 * insertion order: a FIFO list plus ONE re-armed, unref'd timer is enough. Redis answers a
 * connection in order, so the head settles first and is dropped on the next insert; the list
 * stays as long as the number of operations in flight.
 */
export class OperationDeadline {
  private head: PendingOperation | undefined;
  private tail: PendingOperation | undefined;
  private timer: NodeJS.Timeout | undefined;

  /**
   * @param timeoutMs the deadline of every operation
   * @param observer told how each operation ended (for a circuit breaker); `failed` also on timeout
   */
  constructor(
    readonly timeoutMs: number,
    private readonly observer?: { succeeded(): void; failed(error: unknown): void },
  ) {}

  /**
   * Resolves or rejects like `promise`, or rejects with {@link RedisCacheTimeoutError} once
   * `timeoutMs` has passed. The underlying promise keeps a handler, so its late failure is
   * never an unhandled rejection.
   */
  run<T>(promise: Promise<T>, operation: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const entry: PendingOperation = {
        expiresAt: performance.now() + this.timeoutMs,
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
    });
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
    this.timer = undefined;
  }

  private enqueue(entry: PendingOperation): void {
    this.dropSettledHead();
    if (this.tail && this.head) this.tail.next = entry;
    else this.head = entry;
    this.tail = entry;
    if (!this.timer) this.arm(this.timeoutMs);
  }

  private dropSettledHead(): void {
    while (this.head && this.head.reject === undefined) this.head = this.head.next;
    if (!this.head) this.tail = undefined;
  }

  private arm(delayMs: number): void {
    this.timer = setTimeout(() => this.expire(), Math.max(1, Math.ceil(delayMs)));
    // A deadline must never keep a process alive on its own.
    this.timer.unref();
  }

  private expire(): void {
    this.timer = undefined;
    const now = performance.now();
    while (this.head && (this.head.reject === undefined || this.head.expiresAt <= now)) {
      const entry = this.head;
      if (entry.reject) {
        const reject = entry.reject;
        entry.reject = undefined;
        const timeout = new RedisCacheTimeoutError(entry.operation, this.timeoutMs);
        this.observer?.failed(timeout);
        reject(timeout);
      }
      this.head = entry.next;
    }
    if (this.head) this.arm(this.head.expiresAt - now);
    else this.tail = undefined;
  }
}

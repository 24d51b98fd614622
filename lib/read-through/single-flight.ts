/** A load in progress (or just completed) for one key. */
interface Flight {
  readonly promise: Promise<unknown>;
  completedAt: number | undefined;
  /** Who may join it: see {@link SingleFlight.run}. */
  readonly kind: unknown;
}

/** Completed flights kept joinable past their own event-loop turn; bounds the map. */
const MAX_COMPLETED_FLIGHTS = 1_024;

/**
 * Runs work once per key at a time in this process: concurrent callers with the same key share
 * its promise (result or error).
 *
 * Tickets order callers against completed work: a caller takes one before it reads the store.
 * Work that completed after the ticket may still be joined (the caller's read may have raced its
 * write: its reply can come in the same socket read); work that completed before may not (the
 * caller must see deletes and unstored results). Completed work stays joinable until the next
 * turn of the event loop, and never only because of it: a tight loop of awaited misses whose
 * work does no I/O gives the loop no turn, so past the last 1,024 completions the oldest leaves
 * the map at once.
 */
export class SingleFlight {
  private readonly flights = new Map<string, Flight>();
  private completed: [string, Flight][] = [];
  private sweepScheduled = false;
  private sequence = 0;

  /** A ticket, to take before reading the store; pass it to {@link run}. */
  ticket(): number {
    return ++this.sequence;
  }

  /** Whether work for `key` is running (or just completed and still joinable). */
  has(key: string): boolean {
    return this.flights.has(key);
  }

  /** The promise of the work of `kind` running for `key` (not of completed work), or `undefined`. */
  running(key: string, kind?: unknown): Promise<unknown> | undefined {
    const flight = this.flights.get(key);
    return flight && flight.completedAt === undefined && flight.kind === kind ? flight.promise : undefined;
  }

  /**
   * Detaches the work of `key`: later callers start their own (after an eviction, work that
   * started before it must not answer them). The detached work still settles for its callers.
   */
  drop(key: string): void {
    this.flights.delete(key);
  }

  /** Keys in the map: running, or completed within the join window. */
  get size(): number {
    return this.flights.size;
  }

  /**
   * `work()` for `key`, or the promise of the run another caller of the same `kind` already
   * started. Callers of another kind never join it: two readers can share one stored key (a key
   * function naming a route's entry), and a route's load resolves a response entry, not the
   * method's value. Such a caller runs its own work, which later callers of its kind join.
   */
  run<T>(key: string, ticket: number, work: () => Promise<T>, kind?: unknown): Promise<T> {
    const running = this.flights.get(key);
    if (running && running.kind === kind && (running.completedAt === undefined || ticket < running.completedAt))
      return running.promise as Promise<T>;
    const flight: Flight = { promise: work(), completedAt: undefined, kind };
    this.flights.set(key, flight);
    const settle = (): void => {
      flight.completedAt = this.ticket();
      this.completed.push([key, flight]);
      if (this.completed.length > MAX_COMPLETED_FLIGHTS) this.forget(...this.completed.shift()!);
      if (!this.sweepScheduled) {
        this.sweepScheduled = true;
        setImmediate(() => this.sweep());
      }
    };
    flight.promise.then(settle, settle);
    return flight.promise as Promise<T>;
  }

  private forget(key: string, flight: Flight): void {
    if (this.flights.get(key) === flight) this.flights.delete(key);
  }

  private sweep(): void {
    this.sweepScheduled = false;
    const done = this.completed;
    this.completed = [];
    for (const [key, flight] of done) this.forget(key, flight);
  }
}

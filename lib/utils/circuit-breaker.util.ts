/** Breaker states: `closed` lets calls through, `open` rejects them, `half-open` lets one probe through. */
export type CircuitState = 'closed' | 'open' | 'half-open';

/**
 * Counts consecutive infrastructure failures and, past a threshold, stops sending work for a
 * cooldown; then lets exactly one probe through, which closes it again on success or reopens it
 * on failure. During a stall every cache call would otherwise wait the full operation timeout;
 * with the breaker open they skip Redis at once and the method runs uncached.
 */
export class CircuitBreaker {
  private failures = 0;
  private openUntil = 0;
  private probing = false;
  private current: CircuitState = 'closed';

  constructor(
    private readonly failureThreshold: number,
    private readonly cooldownMs: number,
    private readonly onChange: (state: CircuitState, previous: CircuitState) => void = () => undefined,
  ) {}

  /** The current state. */
  get state(): CircuitState {
    return this.current;
  }

  /** Whether a call may go to Redis now. In half-open, only the first caller (the probe) may. */
  allow(): boolean {
    if (this.current === 'closed') return true;
    if (this.current === 'open') {
      if (Date.now() < this.openUntil) return false;
      this.transition('half-open');
    }
    if (this.probing) return false;
    this.probing = true;
    return true;
  }

  /** Records a call that reached Redis and got an answer. */
  succeeded(): void {
    this.failures = 0;
    this.probing = false;
    if (this.current !== 'closed') this.transition('closed');
  }

  /** Records a call that failed for infrastructure reasons (timeout, connection). */
  failed(): void {
    this.failures++;
    this.probing = false;
    if (this.current === 'half-open' || (this.current === 'closed' && this.failures >= this.failureThreshold)) {
      this.openUntil = Date.now() + this.cooldownMs;
      this.transition('open');
    }
  }

  private transition(next: CircuitState): void {
    const previous = this.current;
    this.current = next;
    this.onChange(next, previous);
  }
}

import { describeError } from '../utils/redact.util.js';
import type { ThrottledLogger } from '../utils/throttled-logger.util.js';
import type { TrackedConnection, TrackingSource } from './redis-tracking.sources.js';

/** How soon an unconfirmed or incomplete tracking is looked at again. */
const TRACKING_RETRY_MS = 500;

/** @internal What the L1 hears from the tracked connections. */
export interface TrackingListener {
  /** A tracked key was changed, deleted, expired or evicted; `null`: all of them (FLUSHDB). */
  invalidate(key: string | null): void;
  /** Whether pushes can be trusted right now; `false` on every disconnect (pushes may have been lost). */
  live(live: boolean): void;
}

/** The bounded commands a check sends on a tracked connection (the command lane's). */
export interface TrackingCommands {
  /** The `flags` of CLIENT TRACKINGINFO on `connection`. */
  trackingFlags(connection: TrackedConnection): Promise<string[]>;
  /** Turns `connection`'s tracking into broadcast mode for keys starting with `prefix`. */
  trackPrefix(connection: TrackedConnection, prefix: string): Promise<void>;
}

/**
 * Keeps one listener's `live` true only while EVERY connection of a {@link TrackingSource} is
 * up, has its pushes forwarded, and says (CLIENT TRACKINGINFO) that tracking is on in the
 * expected mode. Any break, reconnect or change of the set reports `live(false)` at once (the
 * L1 flushes: pushes may have been lost) and starts a new check; a check only reports
 * `live(true)` if nothing was lost while it ran (an epoch, bumped by every loss).
 */
export class TrackingMonitor {
  private epoch = 0;
  private checking = false;
  private again = false;
  private closed = false;
  /** Whether `live(true)` was reported and nothing lost since. */
  private serving = false;
  private retry: NodeJS.Timeout | undefined;
  private readonly attached = new WeakSet<TrackedConnection>();

  constructor(
    private readonly source: TrackingSource,
    private readonly listener: TrackingListener,
    private readonly commands: TrackingCommands,
    private readonly errors: ThrottledLogger,
  ) {}

  /** Starts following the source; the listener serves once the first check confirms. */
  start(): void {
    this.source.onChange(() => this.lost());
    this.check();
  }

  /** Stops checking (shutdown); the listener is left off. */
  close(): void {
    this.closed = true;
    this.serving = false;
    clearTimeout(this.retry);
    this.listener.live(false);
  }

  private lost(): void {
    this.epoch++;
    this.serving = false;
    this.listener.live(false);
    this.check();
  }

  private attach(connection: TrackedConnection): void {
    if (this.attached.has(connection)) return;
    this.attached.add(connection);
    connection.on('invalidate', (key) => this.listener.invalidate(key === null ? null : String(key)));
    // Any break may have lost pushes; its 'ready' (tracking re-sent in the handshake) checks again.
    connection.on('end', () => this.lost());
    connection.on('reconnecting', () => this.lost());
    connection.on('error', () => this.lost());
    connection.on('ready', () => this.check());
  }

  private check(): void {
    if (this.closed) return;
    if (this.checking) {
      this.again = true;
      return;
    }
    this.checking = true;
    const epoch = this.epoch;
    this.confirm()
      .then(
        (state) => {
          // A check that confirms what was already live (nothing lost since) keeps the L1 as it is.
          if (state === 'live' && epoch === this.epoch && !this.closed && !this.serving) {
            this.serving = true;
            this.listener.live(true);
          } else if (state === 'incomplete' || state === 'waiting') {
            // 'waiting' is woken by a connection's 'ready'; looking again also covers one that never says so.
            this.later();
          }
        },
        (error: unknown) => {
          this.errors.warn('tracking', `could not confirm client tracking yet, the L1 is off: ${describeError(error)}`);
          // The lane may refuse for a while after a reconnect (breaker cooldown): ask again.
          this.later();
        },
      )
      .finally(() => {
        this.checking = false;
        if (this.again) {
          this.again = false;
          this.check();
        }
      });
  }

  private later(): void {
    if (this.closed) return;
    clearTimeout(this.retry);
    this.retry = setTimeout(() => this.check(), TRACKING_RETRY_MS).unref();
  }

  /** One check: `waiting` for a connection's 'ready', `incomplete` (look again later), `off` or `live`. */
  private async confirm(): Promise<'live' | 'waiting' | 'incomplete' | 'off'> {
    const connections = this.source.connections();
    if (!connections || connections.length === 0) return 'incomplete';
    for (const connection of connections) this.attach(connection);
    if (!connections.every((connection) => connection.isReady)) return 'waiting';
    const prefix = this.source.broadcastPrefix;
    const flags = await Promise.all(
      connections.map(async (connection) => {
        const flags = await this.commands.trackingFlags(connection);
        // Only a connection that is not broadcasting yet is switched (OFF, then ON BCAST: a gap).
        if (prefix === undefined || flags.includes('bcast')) return flags;
        await this.commands.trackPrefix(connection, prefix);
        return this.commands.trackingFlags(connection);
      }),
    );
    const on = flags.every((set) => set.includes('on') && (prefix === undefined || set.includes('bcast')));
    if (!on) {
      this.errors.warn('tracking', 'Redis did not turn client tracking on: the L1 stays off');
      return 'off';
    }
    return connections.every((connection) => connection.isReady) ? 'live' : 'waiting';
  }
}

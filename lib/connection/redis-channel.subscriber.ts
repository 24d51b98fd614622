import { describeError } from '../utils/redact.util.js';
import type { ThrottledLogger } from '../utils/throttled-logger.util.js';
import type { SubscriberConnection } from './redis-clients.factory.js';

/** How long after a failed SUBSCRIBE the next attempt is made. */
const RESUBSCRIBE_AFTER_MS = 1_000;
/** How long shutdown lets the subscriber close before it is destroyed (it has nothing to drain). */
const CLOSE_WAIT_MS = 1_000;

/** A channel subscription made by {@link RedisChannelSubscriber.listen}. */
export interface ChannelSubscription {
  /** Whether messages arrive right now: subscribed, and the connection is up. */
  readonly live: boolean;
}

interface Channel {
  readonly listeners: Set<(message: string) => void>;
  subscribed: boolean;
  retry: NodeJS.Timeout | undefined;
}

/**
 * The one subscriber connection of an application, opened on the first {@link listen}: only
 * apps whose policies use `lock` ever listen, so only they pay for it. It never delays start-up
 * or fails a call: connecting and subscribing run in the background, failures are logged
 * (throttled) and retried, and {@link ChannelSubscription.live} lets callers fall back to
 * polling meanwhile. node-redis resubscribes on its own after a reconnect.
 */
export class RedisChannelSubscriber {
  private create: (() => SubscriberConnection) | undefined;
  private connection: SubscriberConnection | undefined;
  private connected: Promise<void> | undefined;
  private readonly channels = new Map<string, Channel>();
  private closed = false;

  constructor(private readonly errors: ThrottledLogger) {}

  /** Points the subscriber at a way to create its connection (at module init). */
  attach(create: () => SubscriberConnection): void {
    this.create = create;
  }

  /**
   * Calls `listener` with every message on `channel` until shutdown. Subscribes in the
   * background (opening the connection on first use); never throws.
   */
  listen(channel: string, listener: (message: string) => void): ChannelSubscription {
    let state = this.channels.get(channel);
    if (!state) {
      state = { listeners: new Set(), subscribed: false, retry: undefined };
      this.channels.set(channel, state);
      this.subscribe(channel, state);
    }
    state.listeners.add(listener);
    const subscribed = state;
    const connectionReady = (): boolean => this.connection?.isReady ?? false;
    return {
      get live() {
        return subscribed.subscribed && connectionReady();
      },
    };
  }

  /** Closes the connection (destroys it when it does not close within a second). Never rejects. */
  async close(): Promise<void> {
    this.closed = true;
    for (const state of this.channels.values()) clearTimeout(state.retry);
    const connection = this.connection;
    if (!connection) return;
    let timer: NodeJS.Timeout | undefined;
    const closed = connection.isReady
      ? await Promise.race([
          connection.close().then(
            () => true,
            () => false,
          ),
          new Promise<false>((resolve) => (timer = setTimeout(resolve, CLOSE_WAIT_MS, false))),
        ])
      : false;
    clearTimeout(timer);
    if (closed) return;
    try {
      await connection.destroy();
    } catch (error) {
      this.errors.warn('subscriber-destroy', `Redis subscriber destroy failed: ${describeError(error)}`);
    }
  }

  private open(): Promise<void> | undefined {
    if (this.connected) return this.connected;
    if (!this.create || this.closed) return undefined;
    const connection = this.create();
    this.connection = connection;
    // Without an 'error' listener node-redis rethrows socket errors and crashes the process.
    connection.on('error', (error) =>
      this.errors.warn('subscriber-error', `Redis subscriber connection error: ${describeError(error)}`),
    );
    // Pending while node-redis retries; lock waiters poll meanwhile.
    this.connected = connection.connect().then(() => undefined);
    this.connected.catch((error: unknown) => {
      if (this.closed) return;
      this.errors.warn('subscriber-connect', `Redis subscriber connect failed: ${describeError(error)}`);
      // It gave up (a reconnect strategy that stops): the next subscribe attempt opens a new one.
      if (this.connection === connection) {
        this.connection = undefined;
        this.connected = undefined;
      }
    });
    return this.connected;
  }

  private subscribe(channel: string, state: Channel): void {
    const connected = this.open();
    if (!connected) return;
    // Not bounded by operationTimeout like the cache commands: no call ever waits for it (waiters
    // poll until it is acknowledged), and node-redis keeps it across reconnects once it is.
    connected
      .then(() =>
        this.connection!.subscribe(channel, (message) => {
          for (const listener of state.listeners) listener(message);
        }),
      )
      .then(
        () => (state.subscribed = true),
        (error: unknown) => {
          if (this.closed) return;
          this.errors.warn(
            'subscriber-subscribe',
            `Redis SUBSCRIBE ${channel} failed, retrying: ${describeError(error)}`,
          );
          state.retry = setTimeout(() => this.subscribe(channel, state), RESUBSCRIBE_AFTER_MS);
          state.retry.unref();
        },
      );
  }
}

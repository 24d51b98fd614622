import type { Logger } from '@nestjs/common';
import { InvalidRedisCacheOptionsError } from '../errors/invalid-redis-cache-options.error.js';
import { RedisCacheConnectionError } from '../errors/redis-cache-connection.error.js';
import type { ResolvedRedisCacheOptions } from '../options/resolved-redis-cache-options.interface.js';
import { describeError } from '../utils/redact.util.js';
import type { ThrottledLogger } from '../utils/throttled-logger.util.js';
import type { ManagedConnection, RedisClients } from './redis-clients.factory.js';
import { trackingRefusal } from './redis-tracking.refusal.js';

/** How long bootstrap waits for the first connection before starting uncached. */
const BOOTSTRAP_CONNECT_WAIT_MS = 2_000;
/** How long `app.close()` lets in-flight commands drain before connections are destroyed. */
const SHUTDOWN_DRAIN_MS = 2_000;

/**
 * Connecting and closing the connections of `RedisPoolService`, both bounded in time: bootstrap
 * waits for the first connection at most {@link BOOTSTRAP_CONNECT_WAIT_MS} (then starts uncached,
 * node-redis retrying in the background), shutdown lets in-flight commands drain at most
 * {@link SHUTDOWN_DRAIN_MS} before the connections are destroyed.
 */
export class RedisConnectionLifecycle {
  private closing = false;

  constructor(
    private readonly options: ResolvedRedisCacheOptions,
    private readonly logger: Logger,
    private readonly errors: ThrottledLogger,
  ) {}

  /**
   * Connects `clients` and waits for them. Throws, after destroying them, when the server refuses
   * RESP3 client tracking (`tracked`, with `l1`) or, with `requireConnectionOnBootstrap`, when
   * Redis is not reachable in time; otherwise returns, connected or still retrying.
   */
  async connect(clients: RedisClients, tracked: boolean): Promise<void> {
    // With l1, a server that refuses tracking in the handshake would leave the cache down for good.
    let refused: (reason: string) => void = () => undefined;
    const refusal = new Promise<string>((resolve) => (refused = resolve));
    for (const client of connectionsOf(clients)) {
      // Without an 'error' listener node-redis rethrows socket errors and crashes the process.
      client.on('error', (error) => {
        const reason = tracked ? trackingRefusal(error) : undefined;
        if (reason !== undefined) refused(reason);
        this.errors.warn('client-error', `Redis connection error: ${describeError(error)}`);
      });
    }
    const connecting = Promise.all(connectionsOf(clients).map((client) => client.connect()));
    // The connect promise stays pending while node-redis keeps retrying; keep a handler on it.
    connecting.catch((error: unknown) => {
      // Destroying a client that never connected rejects its connect(): not news at shutdown.
      if (!this.closing) this.errors.warn('connect', `Redis connect failed: ${describeError(error)}`);
    });
    const connected = await Promise.race([
      connecting.then(() => true),
      delay(BOOTSTRAP_CONNECT_WAIT_MS, false),
      refusal,
    ]);
    if (typeof connected === 'string') {
      this.closing = true;
      await this.destroy(clients);
      throw new InvalidRedisCacheOptionsError(
        'l1',
        `the Redis server refused what keeps the L1 coherent, RESP3 client tracking (${connected})`,
        'let this connection run HELLO 3 and CLIENT TRACKING (Redis 6 or newer, ACL +hello +client|tracking, no proxy that strips RESP3), or remove l1',
      );
    }
    if (connected) return;
    if (this.options.requireConnectionOnBootstrap) {
      this.closing = true;
      await this.destroy(clients);
      throw new RedisCacheConnectionError(
        `Redis was not reachable within ${BOOTSTRAP_CONNECT_WAIT_MS} ms at bootstrap (requireConnectionOnBootstrap is set)`,
      );
    }
    this.logger.warn(
      `Redis is not reachable yet; the app starts and serves uncached until the connection is up (retrying in the background).`,
    );
  }

  /** Starts closing; `false` when closing had already started (a second shutdown, or a failed bootstrap). */
  beginClose(): boolean {
    if (this.closing) return false;
    this.closing = true;
    return true;
  }

  /** Lets in-flight commands drain from `clients`, then closes them; destroys them when that fails or takes too long. */
  async close(clients: RedisClients): Promise<void> {
    if (!clients.main.isReady) {
      // Nothing can drain from a connection that is not up: do not make app.close() wait.
      await this.destroy(clients);
      return;
    }
    const drained = await Promise.race([
      Promise.all(connectionsOf(clients).map((c) => c.close())).then(
        () => true,
        (error: unknown) => {
          this.logger.warn(`Redis close failed, destroying connections: ${describeError(error)}`);
          return false;
        },
      ),
      delay(SHUTDOWN_DRAIN_MS, false),
    ]);
    if (!drained) await this.destroy(clients);
  }

  private async destroy(clients: RedisClients): Promise<void> {
    clients.tracking?.close();
    for (const client of connectionsOf(clients)) {
      try {
        await client.destroy();
      } catch (error) {
        this.logger.warn(`Redis destroy failed: ${describeError(error)}`);
      }
    }
  }
}

/** The connections that connect and close: the cache connection, and the pool of `execute()` if any. */
function connectionsOf(clients: RedisClients): ManagedConnection[] {
  return clients.pool ? [clients.main, clients.pool] : [clients.main];
}

function delay<T>(ms: number, value: T): Promise<T> {
  return new Promise((resolve) => setTimeout(resolve, ms, value).unref());
}

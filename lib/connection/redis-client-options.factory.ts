import type { RedisClientOptions } from 'redis';

/** Longest pause between reconnect attempts. */
const MAX_RECONNECT_DELAY_MS = 2_000;

/**
 * Reconnect forever with capped exponential backoff and jitter. node-redis' default strategy
 * gives up on `SocketTimeoutError`, which leaves the client closed for good after one stalled
 * server (measured with node-redis 6.3: a socket timeout during SIGSTOP, then `ClientClosedError`
 * after SIGCONT); a cache must come back on its own.
 */
export function reconnectWithBackoff(retries: number): number {
  const base = Math.min(50 * 2 ** Math.min(retries, 10), MAX_RECONNECT_DELAY_MS);
  return Math.round(base / 2 + Math.random() * (base / 2));
}

/**
 * The node-redis client options the cache runs with: the user's options, plus safe defaults
 * for whatever they left out:
 * - no offline queue: while disconnected a command fails at once instead of waiting 5 s;
 * - a bounded command queue, so a stalled server cannot grow memory without limit;
 * - node-redis' per-command `AbortSignal` timer off (it halves throughput and does not cover
 *   written commands); every cache operation has our own deadline instead;
 * - a reconnect strategy that never gives up, a connect timeout and a keep-alive ping.
 */
export function buildClientOptions(user: RedisClientOptions, connectionName: string): RedisClientOptions {
  const socket = { connectTimeout: 5_000, reconnectStrategy: reconnectWithBackoff, ...user.socket };
  return {
    disableOfflineQueue: true,
    commandsQueueMaxLength: 10_000,
    pingInterval: 60_000,
    name: connectionName,
    ...user,
    commandOptions: { timeout: 0, ...user.commandOptions },
    socket: socket as RedisClientOptions['socket'],
  };
}

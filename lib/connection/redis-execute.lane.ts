import { RedisCacheConnectionError } from '../errors/redis-cache-connection.error.js';
import { describeError } from '../utils/redact.util.js';
import type { RedisClients, RedisExecutionClient } from './redis-clients.factory.js';
import type { RedisCommandLane } from './redis-command.lane.js';

/**
 * The lane of `RedisPoolService.execute()`: runs `fn` on a connection lent to it alone. Errors of
 * `fn` pass through unchanged; when no connection can be lent (not connected, the cache
 * connection down, no pooled connection within `pool.acquireTimeout`) it rejects with
 * {@link RedisCacheConnectionError} without calling `fn`.
 */
export async function executeOnLentConnection<T>(
  clients: RedisClients | undefined,
  commands: RedisCommandLane,
  fn: (client: RedisExecutionClient) => Promise<T>,
): Promise<T> {
  if (!clients) throw commands.notConnected();
  const pooled = clients.pool !== undefined;
  // Fail fast like the cache commands: otherwise the pool waits its whole acquire timeout
  // for a connection that cannot come while Redis is down.
  if (pooled && !clients.main.isReady)
    throw new RedisCacheConnectionError('Redis is not connected; execute() did not run its callback');
  let lent = false;
  try {
    return await clients.lend(fn, () => (lent = true));
  } catch (error) {
    if (lent || !pooled) throw error;
    throw new RedisCacheConnectionError(`no pooled Redis connection for execute(): ${describeError(error)}`, {
      cause: error,
    });
  }
}

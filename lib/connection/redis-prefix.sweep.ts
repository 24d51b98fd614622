import { RedisCacheConnectionError } from '../errors/redis-cache-connection.error.js';
import { describeError } from '../utils/redact.util.js';
import type { ScanNode } from './redis-clients.factory.js';

/** Keys asked of one SCAN call (a hint to Redis, which may return more or fewer). */
const SCAN_BATCH = 500;

/** Sends one command to a node through the bounded lane (deadline, window, breaker). */
export type BoundedSend = <T>(node: ScanNode, command: (node: ScanNode) => Promise<T>, name: string) => Promise<T>;

/**
 * Deletes every key that starts with `keyPrefix` with SCAN + UNLINK in batches (never KEYS or
 * FLUSHDB), node by node. Each SCAN batch and each UNLINK is one bounded command, so a paused
 * Redis fails the sweep within about one operation timeout instead of hanging it: the walk as a
 * whole has no deadline (it is as long as the keyspace), its steps do.
 *
 * @param keyPrefix matched literally: glob characters in it are escaped
 * @returns how many keys existed and were unlinked
 * @throws RedisCacheConnectionError when a step fails, naming how many keys were deleted by then
 */
export async function sweepPrefix(nodes: readonly ScanNode[], keyPrefix: string, send: BoundedSend): Promise<number> {
  const match = `${escapeGlob(keyPrefix)}*`;
  let deleted = 0;
  try {
    for (const node of nodes) {
      let cursor = '0';
      do {
        const at = cursor;
        const batch = await send(node, (n) => n.scan(at, { MATCH: match, COUNT: SCAN_BATCH }), 'SCAN');
        cursor = batch.cursor;
        // In a cluster the keys of one node may live in different slots, so a multi-key UNLINK
        // could fail with CROSSSLOT: one UNLINK per key, sent together (pipelined).
        const counts = await Promise.all(batch.keys.map((key) => send(node, (n) => n.unlink(key), 'UNLINK')));
        for (const count of counts) deleted += count;
      } while (cursor !== '0');
    }
  } catch (error) {
    throw new RedisCacheConnectionError(
      `deleting keys by prefix stopped after ${deleted} keys: ${describeError(error)}`,
      { cause: error },
    );
  }
  return deleted;
}

function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { createClient } from 'redis';
import { startRedisServer, type RedisServerHandle } from './redis-server.js';

/** What {@link useTestRedis} gives a suite; call the accessors inside hooks or tests. */
export interface TestRedis {
  /** URL of the Redis this suite uses. Throws if read before `beforeAll` ran. */
  url(): string;
  /**
   * The private server, or undefined when `REDIS_URL` points at a shared server that is not ours
   * to pause or kill. Fault-injection tests branch on this instead of touching a foreign server.
   */
  server(): RedisServerHandle | undefined;
}

/**
 * Registers `beforeAll`/`afterAll` hooks that provide a Redis for the current suite: the one in
 * `REDIS_URL` when set (e.g. in CI with a service container), otherwise a private
 * `redis-server` started on a free port and stopped afterwards. Call at describe/file level.
 *
 * @returns accessors for the URL and, for private servers only, the server handle.
 */
export function useTestRedis(): TestRedis {
  let url: string | undefined;
  let server: RedisServerHandle | undefined;

  beforeAll(async () => {
    const shared = process.env.REDIS_URL;
    if (shared) {
      url = shared;
      return;
    }
    server = await startRedisServer();
    url = server.url;
  });

  afterAll(async () => {
    if (server === undefined) return;
    await server.stop();
    // The handle keeps its dir for restart(); this suite is done with it.
    await rm(server.dir, { recursive: true, force: true });
  });

  return {
    url() {
      if (url === undefined) throw new Error('useTestRedis().url() was read before beforeAll ran');
      return url;
    },
    server() {
      return server;
    },
  };
}

/**
 * A key prefix unique to one test, `t-<label>-<8 hex chars>`, so tests sharing a server
 * (including a shared `REDIS_URL`) never see each other's keys.
 *
 * @param label a human-readable hint; characters other than `[A-Za-z0-9_-]` become `-` so the
 *   prefix never contains `:` (the namespace separator) or glob characters.
 */
export function uniquePrefix(label: string): string {
  const safe = label.replace(/[^A-Za-z0-9_-]/g, '-');
  return `t-${safe}-${randomBytes(4).toString('hex')}`;
}

/** Escapes the characters SCAN MATCH treats as glob syntax, so a prefix is matched literally. */
function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

/**
 * Deletes every key matching `<prefix>:*` with SCAN + UNLINK through a short-lived client.
 * Deliberately never FLUSHDB/FLUSHALL: with `REDIS_URL` the server may hold other people's data.
 *
 * @param url the Redis to clean.
 * @param prefix the prefix, without the trailing `:`.
 * @returns how many keys were unlinked.
 */
export async function flushPrefix(url: string, prefix: string): Promise<number> {
  const client = createClient({
    url,
    // A cleanup helper should fail fast, not retry a dead server forever.
    socket: { connectTimeout: 2_000, reconnectStrategy: false },
  });
  // Without a listener an 'error' event would crash the process; connect() rejects anyway.
  client.on('error', () => undefined);
  await client.connect();
  let removed = 0;
  try {
    for await (const keys of client.scanIterator({ MATCH: `${escapeGlob(prefix)}:*`, COUNT: 500 })) {
      if (keys.length > 0) removed += await client.unlink(keys);
    }
  } finally {
    await client.close();
  }
  return removed;
}

import { execFile } from 'node:child_process';
import type { RedisServerHandle } from './redis-server.js';
import type { TestRedis } from './test-redis.js';

/**
 * Where {@link cli} sends a command: a suite's Redis (private server or `REDIS_URL`), or one
 * server process such as a cluster node or a sentinel's master.
 */
export type CliTarget = TestRedis | RedisServerHandle;

/** Bound for one `redis-cli -u` invocation, so an unresponsive server cannot hang a test. */
const CLI_TIMEOUT_MS = 5_000;

/**
 * Runs one command with `redis-cli`, never through the library under test, and resolves its
 * trimmed raw stdout. A private server is reached through its own handle; a shared `REDIS_URL`
 * through `redis-cli -u <url>`. Like redis-cli itself, error replies (`ERR ...`) resolve as text.
 */
export function cli(target: CliTarget, ...args: string[]): Promise<string> {
  const server = 'command' in target ? target : target.server();
  if (server) return server.command(...args);
  const url = (target as TestRedis).url();
  return new Promise((resolve, reject) => {
    execFile('redis-cli', ['-u', url, ...args], { timeout: CLI_TIMEOUT_MS }, (err, stdout, stderr) => {
      if (err) reject(new Error(`redis-cli ${args.join(' ')} failed: ${err.message}\n${stderr}`));
      else resolve(stdout.trim());
    });
  });
}

/**
 * Every key under `<prefix>:` on `target`, sorted, via `SCAN <cursor> MATCH <prefix>:* COUNT 1000`
 * until the cursor is 0. On a cluster node this is that node's keys only.
 */
export async function storedKeys(target: CliTarget, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const lines = (await cli(target, 'SCAN', cursor, 'MATCH', `${prefix}:*`, 'COUNT', '1000')).split('\n');
    cursor = lines[0].trim();
    if (!/^\d+$/.test(cursor)) throw new Error(`unexpected SCAN reply: ${lines.join('\\n')}`);
    keys.push(
      ...lines
        .slice(1)
        .map((line) => line.trim())
        .filter((line) => line !== ''),
    );
  } while (cursor !== '0');
  return keys.sort();
}

/** How many client connections `target` lists (CLIENT LIST) with exactly `name=<name>`. */
export async function connectionsNamed(target: CliTarget, name: string): Promise<number> {
  const list = await cli(target, 'CLIENT', 'LIST');
  return list.split('\n').filter((line) => / name=(\S*)/.exec(line)?.[1] === name).length;
}

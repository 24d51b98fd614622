import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RedisServerHandle } from './redis-server.js';

/**
 * Runs a command-line tool (e.g. `redis-cli --cluster create`) with a hard time bound.
 *
 * @returns its stdout.
 * @throws with the command line, stdout and stderr when it fails or runs out of time.
 */
export function runTool(file: string, args: string[], timeout: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${file} ${args.join(' ')} failed: ${err.message}\n${stdout}${stderr}`));
      else resolve(stdout);
    });
  });
}

/** Stops servers and deletes their dirs; used both for normal teardown and failed setup. */
export async function stopAndRemove(servers: RedisServerHandle[], extraDirs: string[] = []): Promise<void> {
  await Promise.all(servers.map((server) => server.stop()));
  await Promise.all(
    [...servers.map((server) => server.dir), ...extraDirs].map((dir) => rm(dir, { recursive: true, force: true })),
  );
}

/**
 * Polls `check` every 100 ms until it returns true or `timeoutMs` passes. A throwing check (a
 * node that is still starting, a redis-cli that cannot connect yet) counts as "not yet".
 *
 * @returns whether it succeeded, and the last diagnostic string `check` produced (for errors).
 */
export async function waitFor(timeoutMs: number, check: () => Promise<[boolean, string]>): Promise<[boolean, string]> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const [ok, detail] = await check();
      if (ok) return [true, detail];
      last = detail;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await sleep(100);
  }
  return [false, last];
}

/**
 * {@link waitFor}, throwing `what did not happen within N ms; <last diagnostic>` on timeout.
 *
 * @returns the diagnostic of the successful check.
 */
export async function waitOrThrow(
  what: string,
  timeoutMs: number,
  check: () => Promise<[boolean, string]>,
): Promise<string> {
  const [ok, detail] = await waitFor(timeoutMs, check);
  if (!ok) throw new Error(`${what} did not happen within ${timeoutMs} ms; last state: ${detail}`);
  return detail;
}

/** One `field:value` line of an `INFO` reply, or undefined when absent. */
export function infoField(info: string, field: string): string | undefined {
  return new RegExp(`^${field}:(.*?)\\r?$`, 'm').exec(info)?.[1];
}

/**
 * Waits until `replica` has received everything `master` had written when this was called: its
 * `slave_repl_offset` reaches the master's `master_repl_offset` read once at the start (the
 * master keeps writing under load, so a re-read target would be chased forever). Used before a
 * SIGKILL, so that entries written earlier are known to survive on the promoted replica.
 *
 * @throws when the replica has not caught up within `timeoutMs`.
 */
export async function waitForReplicaCatchUp(
  master: RedisServerHandle,
  replica: RedisServerHandle,
  timeoutMs: number,
): Promise<void> {
  const target = Number(infoField(await master.command('INFO', 'replication'), 'master_repl_offset'));
  await waitOrThrow(`replica ${replica.port} catching up with ${master.port}`, timeoutMs, async () => {
    const info = await replica.command('INFO', 'replication');
    const offset = Number(infoField(info, 'slave_repl_offset'));
    const link = infoField(info, 'master_link_status');
    return [link === 'up' && offset >= target, `link ${link}, offset ${offset} of ${target}`];
  });
}

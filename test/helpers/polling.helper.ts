import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Polls `check` every `everyMs` until it resolves true or `ms` passed.
 *
 * `check` runs once more when the deadline is reached, so a condition that becomes true during the
 * last interval still counts. Exceptions (including failed `expect`s) inside `check` propagate.
 *
 * @param ms how long to keep polling.
 * @param check the condition; may be synchronous or return a promise.
 * @param everyMs pause between two checks (default 50 ms).
 * @returns true as soon as `check` returned true, false if it never did within `ms`.
 */
export async function eventually(ms: number, check: () => Promise<boolean> | boolean, everyMs = 50): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return true;
    if (Date.now() >= deadline) return false;
    await sleep(everyMs);
  }
}

/**
 * Resolves with `promise`'s value, or with `timedOut` if it has not settled after `ms`. The
 * timer is cleared either way, so no timer outlives the call; a rejection of `promise` within
 * `ms` rejects the result.
 *
 * @example await expect(within(app.close(), 10_000, 'hung' as const)).resolves.not.toBe('hung');
 */
export async function within<T, F>(promise: Promise<T>, ms: number, timedOut: F): Promise<T | F> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<F>((resolve) => (timer = setTimeout(resolve, ms, timedOut)))]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Resolves with the reason `promise` rejects with, or `undefined` if it fulfils, so a test can
 * inspect an error (its class, code, fields) instead of only matching its message.
 */
export function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
}

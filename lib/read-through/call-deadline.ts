import { ReadThroughTimeoutError } from '../errors/read-through-timeout.error.js';

/**
 * `promise`, or a rejection with {@link ReadThroughTimeoutError} after `hardMs` (0: no bound).
 * The work behind `promise` is not cancelled: it goes on and stores its result.
 */
export function withHardTimeout<T>(promise: Promise<T>, label: string, hardMs: number): Promise<T> {
  if (hardMs <= 0) return promise;
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ReadThroughTimeoutError(label, hardMs)), hardMs);
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}

/** Resolves `{ value }` if `promise` fulfils within `ms`, else `undefined` (also when it rejects). */
export async function within<T>(promise: Promise<T>, ms: number): Promise<{ value: T } | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(resolve, ms, undefined);
  });
  try {
    return await Promise.race([promise.then((value) => ({ value })), late]);
  } catch {
    // The refresh failed: the caller serves the stale value; the failure is logged where the refresh runs.
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}

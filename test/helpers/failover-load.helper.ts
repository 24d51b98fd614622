import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { isDeepStrictEqual } from 'node:util';

/** Options for {@link startLoad}. */
export interface LoadOptions<T> {
  /** The call under load, e.g. a `@ReadThrough` method. */
  call: (id: string) => Promise<T>;
  /** The only correct result of `call(id)`. */
  expected: (id: string) => T;
  /** Arguments picked at random for every call. */
  ids: readonly string[];
  /** Concurrent callers, each awaiting its call before the next. */
  callers: number;
  /** Hard bound on calls over all callers. */
  maxCalls: number;
  /** Hard bound on how long the load runs, whatever `stop()` does. */
  maxMs: number;
  /** Pause of each caller between its calls, so the load leaves CPU for the servers. @default 2 */
  pauseMs?: number;
}

/** What the callers saw, so far or in total. */
export interface LoadReport {
  /** Calls that settled. */
  calls: number;
  /** Reasons of rejected calls (a fail-open cache should have none). */
  rejected: unknown[];
  /** Calls that resolved with something other than `expected(id)` (first 10 kept). */
  wrong: Array<{ id: string; got: unknown }>;
  /** Count of wrong results, all of them. */
  wrongCount: number;
  /** Slowest call, in ms from the call to its settling. */
  maxLatencyMs: number;
}

/** A running load; see {@link startLoad}. */
export interface RunningLoad {
  /** The figures so far (a copy). */
  snapshot(): LoadReport;
  /** Stops the callers after their current call and resolves the final figures. */
  stop(): Promise<LoadReport>;
}

/**
 * Starts `callers` concurrent loops that call `call(id)` for random `ids`, check every result
 * against `expected(id)` and time every call, until `stop()`, `maxCalls` or `maxMs`.
 */
export function startLoad<T>(options: LoadOptions<T>): RunningLoad {
  const { call, expected, ids, callers, maxCalls, maxMs, pauseMs = 2 } = options;
  const report: LoadReport = { calls: 0, rejected: [], wrong: [], wrongCount: 0, maxLatencyMs: 0 };
  const deadline = Date.now() + maxMs;
  let stopped = false;
  let started = 0;

  const caller = async (): Promise<void> => {
    while (!stopped && started < maxCalls && Date.now() < deadline) {
      started += 1;
      const id = ids[Math.floor(Math.random() * ids.length)];
      const t0 = performance.now();
      try {
        const got = await call(id);
        if (!isDeepStrictEqual(got, expected(id))) {
          report.wrongCount += 1;
          if (report.wrong.length < 10) report.wrong.push({ id, got });
        }
      } catch (err) {
        report.rejected.push(err);
      }
      report.maxLatencyMs = Math.max(report.maxLatencyMs, performance.now() - t0);
      report.calls += 1;
      await sleep(pauseMs);
    }
  };
  const done = Promise.all(Array.from({ length: callers }, caller));

  const copy = (): LoadReport => ({ ...report, rejected: [...report.rejected], wrong: [...report.wrong] });
  return {
    snapshot: copy,
    async stop() {
      stopped = true;
      await done;
      return copy();
    },
  };
}

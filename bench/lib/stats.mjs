// Small, allocation-free-ish statistics helpers for latency samples.

/**
 * Nearest-rank percentile of an ascending-sorted array.
 * @param {Float64Array} sorted ascending
 * @param {number} p in (0, 1]
 */
export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil(p * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/** Median of a small array of numbers (does not mutate its input). */
export function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) return NaN;
  return n % 2 === 1 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/**
 * Summarises one measurement.
 * @param {Float64Array} latenciesMs per-op latencies in milliseconds; sorted IN PLACE
 * @param {number} elapsedMs wall time of the whole measurement
 */
export function summarize(latenciesMs, elapsedMs) {
  latenciesMs.sort(); // typed-array sort is numeric
  return {
    ops: latenciesMs.length,
    elapsedMs,
    opsPerSec: (latenciesMs.length * 1000) / elapsedMs,
    p50Us: percentile(latenciesMs, 0.5) * 1000,
    p99Us: percentile(latenciesMs, 0.99) * 1000,
    maxUs: latenciesMs[latenciesMs.length - 1] * 1000,
  };
}

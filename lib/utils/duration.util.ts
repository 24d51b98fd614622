/** A duration as text: `'250ms'`, `'30s'`, `'5m'`, `'1h'`, `'1d'`. */
export type DurationString = `${number}${'ms' | 's' | 'm' | 'h' | 'd'}`;

/** A duration: milliseconds as a number, or a {@link DurationString}. */
export type Duration = number | DurationString;

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const DURATION_PATTERN = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;

/**
 * Converts a {@link Duration} to whole milliseconds, or returns `undefined` when it is not a
 * finite, non-negative duration (callers turn that into a typed error naming their field).
 */
export function toMilliseconds(value: unknown): number | undefined {
  // Whole milliseconds: Redis refuses `PX 1500.5`, which would silently disable caching.
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? Math.round(value) : undefined;
  if (typeof value !== 'string') return undefined;
  const match = DURATION_PATTERN.exec(value.trim());
  if (!match) return undefined;
  return Math.round(Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS]);
}

/**
 * Milliseconds in `n` seconds.
 * @example @ReadThrough('profile:{0}', seconds(30))
 */
export const seconds = (n: number): number => n * UNIT_MS.s;

/**
 * Milliseconds in `n` minutes.
 * @example @ReadThrough('route:{0}', minutes(10))
 */
export const minutes = (n: number): number => n * UNIT_MS.m;

/**
 * Milliseconds in `n` hours.
 * @example RedisCacheModule.forRoot({ ttl: hours(1) })
 */
export const hours = (n: number): number => n * UNIT_MS.h;

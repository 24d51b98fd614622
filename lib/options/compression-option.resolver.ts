import { describe, fail, resolveInteger as integer } from './option-checks.util.js';
import type { CacheCompressionOptions } from '../interfaces/redis-cache-module-options.interface.js';
import type { CompressionAlgorithm, ResolvedCompressionOptions } from '../serializers/payload.compression.js';
import { COMPRESSION_DEFAULTS, LIMITS } from './redis-cache-options.defaults.js';

const FIELDS: ReadonlySet<string> = new Set(['threshold', 'algorithm', 'level']);
const LEVELS: Readonly<Record<CompressionAlgorithm, { min: number; max: number }>> = {
  gzip: { min: 1, max: 9 },
  brotli: { min: 0, max: 11 },
};

/**
 * Validates a `compression` option (module or per method): `false`, `true` or
 * `{ threshold?, algorithm?, level? }`. `base` is what an omitted field inherits (the module's
 * setting, for a method), else the defaults; a level is inherited only with its algorithm.
 * Throws {@link InvalidRedisCacheOptionsError} at bootstrap.
 *
 * @example
 * resolveCompression('compression', { algorithm: 'brotli' }, false);
 * // { algorithm: 'brotli', threshold: 1024, level: 5 }
 */
export function resolveCompression(
  field: string,
  value: unknown,
  base: ResolvedCompressionOptions | false,
): ResolvedCompressionOptions | false {
  if (value === false) return false;
  const inherited: ResolvedCompressionOptions = base || {
    algorithm: COMPRESSION_DEFAULTS.algorithm,
    threshold: COMPRESSION_DEFAULTS.threshold,
    level: COMPRESSION_DEFAULTS.gzipLevel,
  };
  if (value === true) return inherited;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail(
      field,
      `expected true, false or { threshold, algorithm, level }, got ${describe(value)}`,
      'use compression: true',
    );
  }
  // A misspelt field would silently compress with the defaults: refuse it instead.
  const unknown = Object.keys(value).find((name) => !FIELDS.has(name));
  if (unknown !== undefined) {
    fail(`${field}.${unknown}`, 'is not a compression option', 'use threshold, algorithm or level');
  }
  const options = value as CacheCompressionOptions;
  const algorithm = options.algorithm ?? inherited.algorithm;
  if (algorithm !== 'gzip' && algorithm !== 'brotli') {
    fail(
      `${field}.algorithm`,
      `expected 'gzip' or 'brotli', got ${describe(algorithm)}`,
      "use 'gzip' (the default) or 'brotli'",
    );
  }
  const threshold = integer(`${field}.threshold`, options.threshold ?? inherited.threshold, 0, LIMITS.maxValueBytes);
  const defaultLevel =
    algorithm === inherited.algorithm && base
      ? inherited.level
      : algorithm === 'gzip'
        ? COMPRESSION_DEFAULTS.gzipLevel
        : COMPRESSION_DEFAULTS.brotliLevel;
  const { min, max } = LEVELS[algorithm];
  const level = integer(`${field}.level`, options.level ?? defaultLevel, min, max);
  return { algorithm, threshold, level };
}

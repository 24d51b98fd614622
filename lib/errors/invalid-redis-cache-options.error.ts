import { RedisCacheError } from './redis-cache.error.js';

/**
 * Thrown at bootstrap when a module option or a `@ReadThrough` option is invalid.
 * The message names the field, what was given and how to fix it.
 */
export class InvalidRedisCacheOptionsError extends RedisCacheError {
  static readonly code = 'E_REDIS_CACHE_INVALID_OPTIONS';

  /** The option path that is wrong, e.g. `pool.minimum` or `CatsService.findOne: key`. */
  readonly field: string;
  /** What to do instead. */
  readonly fix: string;

  constructor(field: string, problem: string, fix: string) {
    super(`Invalid nestjs-readthrough option "${field}": ${problem}. Fix: ${fix}`, InvalidRedisCacheOptionsError.code);
    this.field = field;
    this.fix = fix;
  }
}

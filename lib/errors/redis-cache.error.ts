/**
 * Base class of every error this library throws. `code` is stable across releases
 * (`E_REDIS_CACHE_*`), so callers can branch on it instead of parsing messages.
 *
 * @example
 * try { await cache.get('k') } catch (e) { if (e instanceof RedisCacheError) log(e.code) }
 */
export class RedisCacheError extends Error {
  /** Stable machine-readable code, e.g. `E_REDIS_CACHE_CONNECTION`. */
  readonly code: string;

  constructor(message: string, code: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

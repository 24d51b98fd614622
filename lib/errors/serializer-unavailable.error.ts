import { RedisCacheError } from './redis-cache.error.js';

/**
 * A serializer needs an optional peer dependency that is not installed
 * (e.g. `MsgpackSerializer` without `msgpackr`).
 */
export class SerializerUnavailableError extends RedisCacheError {
  static readonly code = 'E_REDIS_CACHE_SERIALIZER_UNAVAILABLE';

  constructor(serializer: string, packageName: string, options?: { cause?: unknown }) {
    super(
      `${serializer} needs the optional package "${packageName}". Install it: npm install ${packageName}`,
      SerializerUnavailableError.code,
      options,
    );
  }
}

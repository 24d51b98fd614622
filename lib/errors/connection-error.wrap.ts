import { describeError } from '../utils/redact.util.js';
import { RedisCacheConnectionError } from './redis-cache-connection.error.js';

/**
 * A store failure as the error a `failOpen: false` caller gets: a {@link RedisCacheConnectionError}
 * unchanged, anything else wrapped as one (`<what>: <redacted cause>`, the original as `cause`).
 */
export function asConnectionError(error: unknown, what: string): RedisCacheConnectionError {
  if (error instanceof RedisCacheConnectionError) return error;
  return new RedisCacheConnectionError(`${what}: ${describeError(error)}`, { cause: error });
}

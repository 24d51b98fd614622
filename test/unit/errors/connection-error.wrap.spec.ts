import { asConnectionError } from '../../../lib/errors/connection-error.wrap.js';
import { RedisCacheConnectionError } from '../../../lib/errors/redis-cache-connection.error.js';
import { RedisCacheTimeoutError } from '../../../lib/errors/redis-cache-timeout.error.js';

/** What a `failOpen: false` caller gets for a store failure (service, evictor and reader share it). */
describe('asConnectionError', () => {
  it('hands a connection error (and its subclasses) back unchanged', () => {
    const refused = new RedisCacheConnectionError('breaker open');
    const timeout = new RedisCacheTimeoutError('GET', 40);
    expect(asConnectionError(refused, 'Redis cache get failed')).toBe(refused);
    expect(asConnectionError(timeout, 'Redis cache get failed')).toBe(timeout);
  });

  it('wraps anything else, names what failed, keeps the original as cause and never echoes a credential', () => {
    const original = new Error('connect to redis://app:s3cret@10.0.0.1:6379 refused');
    const wrapped = asConnectionError(original, 'Redis cache set failed');
    expect(wrapped).toBeInstanceOf(RedisCacheConnectionError);
    expect(wrapped.message).toBe('Redis cache set failed: Error: connect to redis://***@10.0.0.1:6379 refused');
    expect(wrapped.cause).toBe(original);
    expect(asConnectionError('socket closed', 'books: cache eviction failed').message).toBe(
      'books: cache eviction failed: socket closed',
    );
  });
});

export * from './redis-cache.error.js';
export * from './invalid-redis-cache-options.error.js';
export * from './redis-cache-connection.error.js';
export * from './redis-cache-timeout.error.js';
export * from './redis-cache-serialization.error.js';
export * from './serializer-unavailable.error.js';
export * from './read-through-timeout.error.js';
export * from './errors.map.js';

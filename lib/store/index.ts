export * from './cache.store.js';
export * from './redis-cache.store.js';
export * from './memory-cache.store.js';

export * from './redis-cache-options.defaults.js';
export * from './redis-cache-options.resolver.js';
export type * from './resolved-redis-cache-options.interface.js';

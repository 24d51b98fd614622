export type * from './redis-cache-module-options.interface.js';
export type * from './read-through-options.interface.js';
export type * from './http-cache-options.interface.js';
export type * from './redis-cache-service-options.interface.js';

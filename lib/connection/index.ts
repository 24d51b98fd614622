export * from './redis-pool.service.js';
export * from './redis-client-options.factory.js';

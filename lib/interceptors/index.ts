export * from './read-through.interceptor.js';
export * from './route-policy.registry.js';
export * from './http-cache-entry.util.js';

export * from './read-through.executor.js';
export * from './read-through.policy.js';

export * from './duration.util.js';
export * from './redact.util.js';
export * from './operation-deadline.util.js';
export * from './throttled-logger.util.js';
export * from './circuit-breaker.util.js';

// nestjs-readthrough/terminus: the @nestjs/terminus integration, a subpath of its own so that
// apps without terminus never load it (the root entry point never imports this folder).
export { RedisCacheHealthIndicator } from './redis-cache-health.indicator.js';
export type { RedisCacheHealthCheckOptions, RedisCacheHealthDetails } from './redis-cache-health.interface.js';

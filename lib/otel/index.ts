// nestjs-readthrough/otel: the OpenTelemetry integration, a subpath of its own so that apps
// without @opentelemetry/api never load it (the root entry point never imports this folder).
export { RedisCacheOpenTelemetry } from './redis-cache-otel.js';
export { REDIS_CACHE_OTEL_OPTIONS } from './redis-cache-otel.options.js';
export type { RedisCacheOpenTelemetryOptions } from './redis-cache-otel.options.js';

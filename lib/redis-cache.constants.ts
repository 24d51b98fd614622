/** DI token of the validated, defaulted module options ({@link ResolvedRedisCacheOptions}). */
export const RESOLVED_REDIS_CACHE_OPTIONS = Symbol('RESOLVED_REDIS_CACHE_OPTIONS');

/** Reflect-metadata key under which `@ReadThrough` records its arguments on the method. */
export const READ_THROUGH_METADATA = 'nestjs-readthrough:read-through';

/** Reflect-metadata key of `@ReadThrough` on a controller class (its GET/HEAD routes' options). */
export const READ_THROUGH_CLASS_METADATA = 'nestjs-readthrough:read-through-class';

/**
 * Property on a provider instance holding its bound read-through methods. It lives on the
 * instance, not the prototype, so two Nest apps in one process never share a binding.
 */
export const READ_THROUGH_BINDINGS = Symbol('nestjs-readthrough:bindings');

/** Nest logger context of every line this library writes. */
export const LOGGER_CONTEXT = 'RedisCache';

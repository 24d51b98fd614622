import type { CacheSerializer } from '../serializers/cache.serializer.js';
import type { Duration } from '../utils/duration.util.js';
import type { CacheCompressionOptions, SerializerName } from './redis-cache-module-options.interface.js';

/** Cross-process stampede lock (`lock` option). */
export interface ReadThroughLockOptions {
  /**
   * The lock's lease: its holder renews it every third of this while the method runs, so a
   * method may take longer; if the holder dies, the lock expires and others take over within this.
   * @default '5s'
   */
  ttl?: Duration;
  /**
   * How long other processes wait for the holder's value before running the method themselves
   * (it bounds a holder that hangs; a slow one keeps its lease).
   * @default '30s'
   */
  wait?: Duration;
}

/** A time to live, or a function of the method's result that returns one. */
export type ReadThroughTtl<R = unknown> = Duration | ((value: R) => Duration);

/** The `timeout` option: see {@link ReadThroughOptions.timeout}. */
export interface ReadThroughTimeoutOptions {
  /** With a stale value at hand: wait at most this for the refresh, then serve the stale value. */
  soft?: Duration;
  /** Never wait longer than this for the method: reject with `ReadThroughTimeoutError`. */
  hard?: Duration;
}

/**
 * Per-method options of `@ReadThrough(key, ttl, options)` and of `RedisCacheService.wrap()`.
 * Anything left out falls back to the module options.
 *
 * @typeParam R the resolved result type of the method.
 */
export interface ReadThroughOptions<R = unknown> {
  /** Namespace of the key, `<prefix>:<namespace>:<key>`. @default module `namespace` */
  namespace?: string;
  /**
   * Time to live; the positional `ttl` argument wins when both are given. A function gets the
   * method's result and returns its time to live (a token until it expires); a result of 0 or
   * less means "do not store this one". A function that throws is logged and the result is not
   * stored.
   * @default module `ttl`
   */
  ttl?: ReadThroughTtl<R>;
  /**
   * Time to live of a `null` result ("not found" cached for a short while). Setting it caches
   * `null` for this method, whatever `cacheNull` says.
   */
  negativeTtl?: Duration;
  /**
   * Tags of the entry: templates over the arguments like the key (`'author:{0.authorId}'`; on
   * controller routes over the request: `'cat:{params.id}'`). `RedisCacheService.invalidateTags()`
   * and `@CacheEvict({ tags })` drop every entry carrying one of them, in every process.
   */
  tags?: string[];
  /**
   * Bounds on how long a caller waits for the method (not on controller routes, where the
   * platform's own timeouts apply).
   * - `soft`: when a stale value is in its grace, a caller waits at most this for the refresh,
   *   then gets the stale value while the method finishes in the background and stores its result.
   * - `hard`: no caller waits longer than this for the method: it rejects with
   *   `ReadThroughTimeoutError`, while the method keeps running and its result is still stored.
   */
  timeout?: ReadThroughTimeoutOptions;
  /** Serializer of this method's entries. @default module `serializer` */
  serializer?: CacheSerializer | SerializerName;
  /**
   * Compression of this method's (or route's) entries: `false` off, `true` the module's
   * settings (or the defaults), an object overrides the module's fields. @default module `compression`
   */
  compression?: boolean | CacheCompressionOptions;
  /** Store `null` results. @default module `cacheNull` */
  cacheNull?: boolean;
  /** Store the result only when this returns `true`. */
  condition?: (value: R) => boolean;
  /** Do not store the result when this returns `true`. */
  unless?: (value: R) => boolean;
  /** Grace after the TTL during which a stale value is served while one refresh runs. @default module `staleWhileRevalidate` */
  staleWhileRevalidate?: Duration;
  /** When a refresh fails, keep serving the stale value. @default module `failSafe` */
  failSafe?: boolean;
  /** Refresh hot keys shortly before they expire (XFetch); a number is its beta. @default module `earlyRefresh` */
  earlyRefresh?: boolean | number;
  /** Cross-process lock so only one process runs the method for a cold key. @default module `lock` */
  lock?: boolean | ReadThroughLockOptions;
  /**
   * Controller routes only: cache requests that carry `Authorization` or `Cookie` although the
   * key has no user part, because the response is the same for everyone.
   * @default false
   */
  shared?: boolean;
  /**
   * What a key placeholder that reads `undefined` does (a missing argument or property, a query
   * parameter or header the request does not carry). `'bypass'`: the call runs uncached with a
   * warning, so a misspelled placeholder (`{0.idd}`, `{query.pgae}`) can never put every caller
   * under one key. `'empty'`: the value counts as "absent" and all such calls share an entry.
   * @default 'bypass'
   */
  missingKeyValue?: 'bypass' | 'empty';
  /**
   * Controller routes only: cache GET/HEAD requests that carry a body. By default they bypass,
   * since the key does not read the body (Express parses JSON bodies on GET too).
   * @default false
   */
  allowRequestBody?: boolean;
  /**
   * Serve this method's (or route's) hits from the in-process L1 when the module has one
   * (`l1` module option). `true` with the module's L1 off fails bootstrap.
   * @default true when the module has an L1
   */
  l1?: boolean;
  /** Controller routes only: statuses whose responses are stored. @default module `http.statuses` */
  statuses?: number[];
}

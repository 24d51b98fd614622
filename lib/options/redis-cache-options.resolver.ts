import type { RedisCacheModuleOptions, SerializerName } from '../interfaces/redis-cache-module-options.interface.js';
import { InvalidRedisCacheOptionsError } from '../errors/invalid-redis-cache-options.error.js';
import { CacheSerializer } from '../serializers/cache.serializer.js';
import { JsonSerializer } from '../serializers/json.serializer.js';
import { MsgpackSerializer } from '../serializers/msgpack.serializer.js';
import { V8Serializer } from '../serializers/v8.serializer.js';
import { redact } from '../utils/redact.util.js';
import type { HttpCacheOptions } from '../interfaces/http-cache-options.interface.js';
import type { ReadThroughLockOptions } from '../interfaces/read-through-options.interface.js';
import { resolveClockOption, resolveStoreOption } from './cache-store-option.resolver.js';
import { resolveCompression } from './compression-option.resolver.js';
import { resolveL1 } from './l1-option.resolver.js';
import { describe, fail, resolveBoolean, resolveDuration, resolveInteger, resolveTtl } from './option-checks.util.js';

export { resolveBoolean, resolveDuration, resolveTtl } from './option-checks.util.js';
import { DEFAULTS, LIMITS, LOCK_DEFAULTS, NEVER_CACHED_STATUSES } from './redis-cache-options.defaults.js';
import type {
  ResolvedConnection,
  ResolvedHttpCacheOptions,
  ResolvedLockOptions,
  ResolvedRedisCacheOptions,
} from './resolved-redis-cache-options.interface.js';

// No `:`: it separates `<prefix>:<namespace>:<key>`, so a prefix or namespace holding one could
// read another's keys (namespace `eu` + key `default:price`) or fall under another's clear().
const NAME_PATTERN = /^[\w.{}/-]+$/;
const SERIALIZER_ID_PATTERN = /^[\w.+-]{1,32}$/;

/**
 * Validates module options once, at bootstrap, and fills in defaults. Throws
 * {@link InvalidRedisCacheOptionsError} naming the first wrong field and the fix.
 */
export function resolveRedisCacheOptions(options: RedisCacheModuleOptions | undefined): ResolvedRedisCacheOptions {
  const raw: RedisCacheModuleOptions = options ?? {};
  if (typeof raw !== 'object')
    fail('options', `expected an object, got ${typeof raw}`, 'pass an options object to forRoot()');
  const store = resolveStoreOption(raw.store ?? DEFAULTS.store);
  const prefix = resolveName('prefix', raw.prefix ?? DEFAULTS.prefix);
  return {
    store,
    clock: resolveClockOption(raw.clock),
    connection: resolveConnection(raw),
    prefix,
    namespace: resolveName('namespace', raw.namespace ?? DEFAULTS.namespace),
    ttlMs: resolveTtl('ttl', raw.ttl ?? DEFAULTS.ttl),
    serializer: resolveSerializer('serializer', raw.serializer),
    cacheNull: resolveBoolean('cacheNull', raw.cacheNull ?? DEFAULTS.cacheNull),
    failOpen: resolveBoolean('failOpen', raw.failOpen ?? DEFAULTS.failOpen),
    operationTimeoutMs: resolveDuration('operationTimeout', raw.operationTimeout ?? DEFAULTS.operationTimeout, {
      min: 1,
      max: LIMITS.maxOperationTimeoutMs,
    }),
    maxValueBytes: resolveInteger(
      'maxValueBytes',
      raw.maxValueBytes ?? DEFAULTS.maxValueBytes,
      64,
      LIMITS.maxValueBytes,
    ),
    compression: resolveCompression('compression', raw.compression ?? DEFAULTS.compression, false),
    requireConnectionOnBootstrap: resolveBoolean(
      'requireConnectionOnBootstrap',
      raw.requireConnectionOnBootstrap ?? DEFAULTS.requireConnectionOnBootstrap,
    ),
    memory: {
      maxEntries: resolveInteger('memory.maxEntries', raw.memory?.maxEntries ?? DEFAULTS.memory.maxEntries, 1, 1e9),
      maxBytes: resolveInteger(
        'memory.maxBytes',
        raw.memory?.maxBytes ?? DEFAULTS.memory.maxBytes,
        1024,
        Number.MAX_SAFE_INTEGER,
      ),
    },
    l1: resolveL1(raw),
    graceMs: resolveGrace('staleWhileRevalidate', raw.staleWhileRevalidate ?? DEFAULTS.staleWhileRevalidate),
    failSafe: resolveBoolean('failSafe', raw.failSafe ?? DEFAULTS.failSafe),
    earlyRefreshBeta: resolveEarlyRefresh('earlyRefresh', raw.earlyRefresh ?? DEFAULTS.earlyRefresh),
    lock: resolveLock('lock', raw.lock ?? DEFAULTS.lock),
    circuitBreaker: resolveCircuitBreaker(raw.circuitBreaker),
    http: resolveHttp(raw.http ?? {}),
  };
}

/** Validates a stale-while-revalidate grace: 0 (off) up to the TTL limit. */
export function resolveGrace(field: string, value: unknown): number {
  return resolveDuration(field, value, { min: 0, max: LIMITS.maxTtlMs });
}

/** Validates `earlyRefresh`: false/0 = off, true = beta 1, or a beta from 0 to 10. */
export function resolveEarlyRefresh(field: string, value: unknown): number {
  if (value === false) return 0;
  if (value === true) return 1;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 10) {
    fail(
      field,
      `${describe(value)} is not a valid early refresh`,
      'use true, false, or a beta from 0 to 10 (1 is the usual choice)',
    );
  }
  return value;
}

/** Validates `lock`: false, true (defaults) or `{ ttl, wait }`. */
export function resolveLock(field: string, value: unknown): ResolvedLockOptions | false {
  if (value === false) return false;
  if (value !== true && (typeof value !== 'object' || value === null)) {
    fail(
      field,
      `expected true, false or { ttl, wait }, got ${describe(value)}`,
      "use lock: true or lock: { ttl: '5s', wait: '5s' }",
    );
  }
  const options: ReadThroughLockOptions = value === true ? {} : (value as ReadThroughLockOptions);
  return {
    ttlMs: resolveDuration(`${field}.ttl`, options.ttl ?? LOCK_DEFAULTS.ttl, {
      min: 10,
      max: LIMITS.maxOperationTimeoutMs * 10,
    }),
    waitMs: resolveDuration(`${field}.wait`, options.wait ?? LOCK_DEFAULTS.wait, {
      min: 0,
      max: LIMITS.maxOperationTimeoutMs * 10,
    }),
  };
}

function resolveCircuitBreaker(
  raw: RedisCacheModuleOptions['circuitBreaker'],
): ResolvedRedisCacheOptions['circuitBreaker'] {
  if (raw === false) return false;
  if (raw !== undefined && (typeof raw !== 'object' || raw === null)) {
    fail(
      'circuitBreaker',
      `expected an object or false, got ${describe(raw)}`,
      "use { failureThreshold: 5, cooldown: '1s' } or false",
    );
  }
  return {
    failureThreshold: resolveInteger(
      'circuitBreaker.failureThreshold',
      raw?.failureThreshold ?? DEFAULTS.circuitBreaker.failureThreshold,
      1,
      1_000_000,
    ),
    cooldownMs: resolveDuration('circuitBreaker.cooldown', raw?.cooldown ?? DEFAULTS.circuitBreaker.cooldown, {
      min: 1,
      max: LIMITS.maxOperationTimeoutMs * 10,
    }),
  };
}

/** Validates a list of cacheable statuses (module `http.statuses` or a route's `statuses`). */
export function resolveStatuses(field: string, value: unknown): readonly number[] {
  if (!Array.isArray(value) || value.length === 0) {
    fail(field, `expected a non-empty array of status codes, got ${describe(value)}`, 'use e.g. [200] or [200, 404]');
  }
  for (const status of value) {
    if (!Number.isInteger(status) || status < 200 || status >= 500 || NEVER_CACHED_STATUSES.has(status)) {
      fail(
        field,
        `${describe(status)} may not be cached`,
        'list final statuses from 200 to 499 other than 206 and 304 (e.g. 200, 203, 204, 301, 404, 410)',
      );
    }
  }
  return [...(value as number[])];
}

function resolveHttp(raw: HttpCacheOptions): ResolvedHttpCacheOptions {
  const header = raw.cacheStatusHeader ?? DEFAULTS.http.cacheStatusHeader;
  if (header !== false && (typeof header !== 'string' || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(header))) {
    fail(
      'http.cacheStatusHeader',
      `${describe(header)} is not a header name`,
      "use a token such as 'X-Cache', or false to send none",
    );
  }
  const unkeyed = raw.unkeyedHeaders ?? DEFAULTS.http.unkeyedHeaders;
  if (!Array.isArray(unkeyed) || unkeyed.some((name) => typeof name !== 'string' || name === '')) {
    fail('http.unkeyedHeaders', 'expected an array of header names', "use e.g. ['x-forwarded-host']");
  }
  const credentialHeaders = resolveNames(
    'http.credentialHeaders',
    raw.credentialHeaders ?? DEFAULTS.http.credentialHeaders,
    "['authorization', 'x-api-key']",
  );
  const credentialQueryParams = resolveNames(
    'http.credentialQueryParams',
    raw.credentialQueryParams ?? DEFAULTS.http.credentialQueryParams,
    "['access_token', 'api_key']",
  );
  if (raw.canonicalHost !== undefined && (typeof raw.canonicalHost !== 'string' || raw.canonicalHost === '')) {
    fail('http.canonicalHost', `${describe(raw.canonicalHost)} is not a host`, "use e.g. 'api.example.com'");
  }
  return {
    cacheStatusHeader: header,
    statuses: resolveStatuses('http.statuses', raw.statuses ?? DEFAULTS.http.statuses),
    cacheControl: resolveBoolean('http.cacheControl', raw.cacheControl ?? DEFAULTS.http.cacheControl),
    etag: resolveBoolean('http.etag', raw.etag ?? DEFAULTS.http.etag),
    respectRequestCacheControl: resolveBoolean(
      'http.respectRequestCacheControl',
      raw.respectRequestCacheControl ?? DEFAULTS.http.respectRequestCacheControl,
    ),
    unkeyedHeaders: unkeyed.map((name) => name.toLowerCase()),
    canonicalHost: raw.canonicalHost,
    credentialHeaders,
    credentialQueryParams,
  };
}

/** A list of header or parameter names, lower-cased. */
function resolveNames(field: string, value: unknown, example: string): string[] {
  if (!Array.isArray(value) || value.some((name) => typeof name !== 'string' || name === '')) {
    fail(field, 'expected an array of non-empty names', `use e.g. ${example}`);
  }
  return (value as string[]).map((name) => name.toLowerCase());
}

/** Validates a prefix or namespace. */
export function resolveName(field: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) {
    fail(field, `expected a non-empty string, got ${describe(value)}`, `set ${field} to a short name such as 'shop'`);
  }
  if (value.length > LIMITS.maxNameLength || !NAME_PATTERN.test(value)) {
    fail(
      field,
      `${JSON.stringify(value)} is not a valid name`,
      `use at most ${LIMITS.maxNameLength} letters, digits or . _ - { } / and no ":" (it separates the parts of every key), e.g. 'shop-eu'`,
    );
  }
  if (value.startsWith('__')) {
    fail(
      field,
      `${JSON.stringify(value)} starts with "__", which is reserved for the library's own keys (locks)`,
      `choose a name that does not start with "__"`,
    );
  }
  return value;
}

/** Resolves a serializer instance or name; `undefined` gives the JSON default. */
export function resolveSerializer(field: string, value: CacheSerializer | SerializerName | undefined): CacheSerializer {
  if (value === undefined || value === 'json') return new JsonSerializer();
  if (value === 'v8') return new V8Serializer();
  if (value === 'msgpack') return new MsgpackSerializer();
  const candidate = value as Partial<CacheSerializer>;
  if (
    typeof value !== 'object' ||
    value === null ||
    typeof candidate.serialize !== 'function' ||
    typeof candidate.deserialize !== 'function'
  ) {
    fail(
      field,
      `expected a CacheSerializer or 'json' | 'v8' | 'msgpack', got ${describe(value)}`,
      'pass an instance of a class that extends CacheSerializer',
    );
  }
  if (typeof candidate.id !== 'string' || !SERIALIZER_ID_PATTERN.test(candidate.id)) {
    fail(
      `${field}.id`,
      `${describe(candidate.id)} is not a valid serializer id`,
      'use 1 to 32 of A-Z a-z 0-9 . _ + - (it is written into every entry header)',
    );
  }
  return value;
}

function resolveConnection(raw: RedisCacheModuleOptions): ResolvedConnection {
  const chosen = [
    raw.url !== undefined || raw.client !== undefined,
    raw.cluster !== undefined,
    raw.sentinel !== undefined,
  ];
  if (chosen.filter(Boolean).length > 1) {
    fail(
      'url/client, cluster, sentinel',
      'more than one connection kind was given',
      'give either url/client, or cluster, or sentinel',
    );
  }
  if (raw.cluster !== undefined) {
    if (!Array.isArray(raw.cluster.rootNodes) || raw.cluster.rootNodes.length === 0) {
      fail(
        'cluster.rootNodes',
        'no root node was given',
        "list at least one node, e.g. [{ url: 'redis://10.0.0.1:7000' }]",
      );
    }
    return { kind: 'cluster', cluster: raw.cluster };
  }
  if (raw.sentinel !== undefined) {
    if (typeof raw.sentinel.name !== 'string' || !Array.isArray(raw.sentinel.sentinelRootNodes)) {
      fail(
        'sentinel',
        'name and sentinelRootNodes are required',
        "set sentinel: { name: 'mymaster', sentinelRootNodes: [{ host, port }] }",
      );
    }
    return { kind: 'sentinel', sentinel: raw.sentinel };
  }
  const url = raw.url ?? raw.client?.url ?? DEFAULTS.url;
  if (typeof url !== 'string' || !isRedisUrl(url)) {
    fail(
      'url',
      `${describe(typeof url === 'string' ? redact(url) : url)} is not a valid Redis URL`,
      'use redis://[[user]:password@]host[:port][/db] (db a number), or rediss:// for TLS',
    );
  }
  const minimum = resolveInteger('pool.minimum', raw.pool?.minimum ?? DEFAULTS.pool.minimum, 1, 1_000);
  const maximum = resolveInteger('pool.maximum', raw.pool?.maximum ?? DEFAULTS.pool.maximum, 1, 1_000);
  if (minimum > maximum) {
    fail(
      'pool.minimum',
      `minimum (${minimum}) is greater than maximum (${maximum})`,
      'make pool.minimum <= pool.maximum',
    );
  }
  const acquireTimeoutMs = resolveDuration(
    'pool.acquireTimeout',
    raw.pool?.acquireTimeout ?? DEFAULTS.pool.acquireTimeout,
    {
      min: 1,
      max: LIMITS.maxOperationTimeoutMs,
    },
  );
  return { kind: 'standalone', client: { ...raw.client, url }, pool: { minimum, maximum, acquireTimeoutMs } };
}

/** Parses like node-redis will, so a bad URL fails here with a typed error, never later with the URL inside. */
function isRedisUrl(url: string): boolean {
  if (!/^(rediss?|unix):\/\//.test(url)) return false;
  if (url.startsWith('unix:')) return true;
  try {
    const parsed = new URL(url);
    return parsed.hostname !== '' && /^\/?\d*$/.test(parsed.pathname);
  } catch {
    return false;
  }
}

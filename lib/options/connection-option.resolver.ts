import type { RedisCacheModuleOptions } from '../interfaces/redis-cache-module-options.interface.js';
import { redact } from '../utils/redact.util.js';
import { describe, fail, resolveDuration, resolveInteger } from './option-checks.util.js';
import { DEFAULTS, LIMITS } from './redis-cache-options.defaults.js';
import type { ResolvedConnection } from './resolved-redis-cache-options.interface.js';

/**
 * Validates the connection options: exactly one of `url`/`client`, `cluster` or `sentinel`
 * (none is the default URL), and for a standalone server the URL and the execution `pool`.
 * Throws {@link InvalidRedisCacheOptionsError} naming the first wrong field and the fix.
 *
 * @example resolveConnection({ url: 'redis://cache:6379' }) // { kind: 'standalone', client, pool }
 */
export function resolveConnection(raw: RedisCacheModuleOptions): ResolvedConnection {
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

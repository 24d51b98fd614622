import type { HttpCacheOptions } from '../interfaces/http-cache-options.interface.js';
import { describe, fail, resolveBoolean } from './option-checks.util.js';
import { DEFAULTS, NEVER_CACHED_STATUSES } from './redis-cache-options.defaults.js';
import type { ResolvedHttpCacheOptions } from './resolved-redis-cache-options.interface.js';

/**
 * Validates the module's `http` options (what controller routes cache and which request inputs
 * may key or share an entry) and fills in their defaults.
 *
 * @example resolveHttp({ statuses: [200, 404] }).cacheStatusHeader // 'X-Cache'
 */
export function resolveHttp(raw: HttpCacheOptions): ResolvedHttpCacheOptions {
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

/** A list of header or parameter names, lower-cased. */
function resolveNames(field: string, value: unknown, example: string): string[] {
  if (!Array.isArray(value) || value.some((name) => typeof name !== 'string' || name === '')) {
    fail(field, 'expected an array of non-empty names', `use e.g. ${example}`);
  }
  return (value as string[]).map((name) => name.toLowerCase());
}

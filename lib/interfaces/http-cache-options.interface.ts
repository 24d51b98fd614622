/**
 * HTTP behaviour of `ReadThroughInterceptor`, module-wide (`http` option). Routes may override
 * `statuses` and opt in with `shared` through `@ReadThrough(key, ttl, { ... })`.
 */
export interface HttpCacheOptions {
  /**
   * Response header that tells HIT / MISS / BYPASS; `false` turns it off.
   * @default 'X-Cache'
   */
  cacheStatusHeader?: string | false;
  /**
   * Statuses whose responses are stored. Never 206, 304 or anything >= 500.
   * @default [200]
   */
  statuses?: number[];
  /**
   * Send `Cache-Control: public, max-age=<remaining seconds>` (`private` for per-user keys)
   * with cached responses, so browsers and CDNs may reuse them too.
   * @default false
   */
  cacheControl?: boolean;
  /**
   * Send a weak `ETag` and answer a matching `If-None-Match` with 304.
   * @default true
   */
  etag?: boolean;
  /**
   * Let a request's own `Cache-Control: no-cache` skip the lookup (the handler runs and its
   * result is stored) and `no-store` bypass the cache. Off by default: otherwise any client can
   * force every request onto the origin, which is exactly the load the cache exists to absorb.
   * @default false
   */
  respectRequestCacheControl?: boolean;
  /**
   * Request headers the handler must not see while it produces a response that will be stored,
   * unless the key template names them (then they are listed in `Vary`). They are removed
   * (`host` is replaced by `canonicalHost`) for the duration of the handler and restored after,
   * so a header an attacker controls can never end up in a body served to others.
   * @default ['host', 'x-forwarded-host', 'x-forwarded-proto', 'x-forwarded-port', 'x-forwarded-prefix', 'x-forwarded-server', 'x-forwarded-scheme', 'forwarded', 'x-host', 'x-original-host', 'x-original-url', 'x-rewrite-url', 'accept-language']
   */
  unkeyedHeaders?: string[];
  /**
   * Request headers that carry a credential. A request with any of them is per-principal: it
   * bypasses the cache unless the key names the principal or the route is `shared`; a key
   * placeholder that reads one (`{headers.x-api-key}`) stores its SHA-256 digest, never the secret.
   * @default ['authorization', 'proxy-authorization', 'cookie', 'x-api-key', 'x-auth-token']
   */
  credentialHeaders?: string[];
  /**
   * Query parameters that carry a credential, with the same rules as `credentialHeaders`; in a
   * key (the default key, or `{query.access_token}`) their values are stored as SHA-256 digests.
   * @default ['access_token', 'api_key', 'apikey', 'token']
   */
  credentialQueryParams?: string[];
  /**
   * The `Host` a handler sees while producing a response that will be stored.
   * @default the server's own address as the socket sees it (`<localAddress>:<localPort>`)
   */
  canonicalHost?: string;
}

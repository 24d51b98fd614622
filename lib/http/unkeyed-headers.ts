import { localAddress, type HttpRequest } from './http-request.access.js';

/** The unkeyed request headers of a route: exact names, and prefixes from entries ending in `*`. */
export interface UnkeyedHeaders {
  readonly names: readonly string[];
  readonly prefixes: readonly string[];
  /** Headers the key reads: never hidden, even when a prefix rule covers them. */
  readonly keyed: readonly string[];
}

/** Splits `['host', 'x-forwarded-*']` into names and prefixes; the headers a key reads stay visible. */
export function unkeyedHeadersOf(configured: readonly string[], keyed: readonly string[]): UnkeyedHeaders {
  const names = configured.filter((name) => !name.endsWith('*') && !keyed.includes(name));
  const prefixes = configured.filter((name) => name.endsWith('*')).map((name) => name.slice(0, -1));
  return { names, prefixes, keyed };
}

/**
 * Removes the unkeyed headers (and pins `Host` to `canonicalHost` or the server's own address)
 * while the handler produces a response that may be stored, so a header an attacker controls
 * (`X-Forwarded-For` read through `trust proxy`, `X-Forwarded-Host` in a link) never ends up in
 * a body served to others. Returns a function that puts them back.
 */
export function hideUnkeyedHeaders(
  request: HttpRequest,
  unkeyed: UnkeyedHeaders,
  canonicalHost: string | undefined,
): () => void {
  const headers = request.headers;
  const saved: [string, string | string[] | undefined][] = [];
  const hide = (name: string): void => {
    saved.push([name, headers[name]]);
    if (name === 'host') headers.host = canonicalHost ?? localAddress(request);
    else delete headers[name];
  };
  for (const name of unkeyed.names) if (headers[name] !== undefined || name === 'host') hide(name);
  if (unkeyed.prefixes.length > 0) {
    for (const name of Object.keys(headers)) {
      if (!unkeyed.keyed.includes(name) && unkeyed.prefixes.some((prefix) => name.startsWith(prefix))) hide(name);
    }
  }
  return () => {
    for (const [name, value] of saved) {
      if (value === undefined) delete headers[name];
      else headers[name] = value;
    }
  };
}

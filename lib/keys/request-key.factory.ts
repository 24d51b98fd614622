import { createHash } from 'node:crypto';
import { compileKeyTemplate, parseKeyTemplate } from './key-template.compiler.js';

/** The parts of a request a controller key template can read. */
export interface RequestKeySource {
  readonly method: string;
  readonly url: string;
  readonly params: unknown;
  readonly query: unknown;
  readonly user: unknown;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

/** A compiled controller key: what it reads from the request, and how it builds the key. */
export interface RequestKeyFactory {
  /** The `<key>` part for this request. */
  build(source: RequestKeySource): string;
  /** Lower-case request header names the key reads (they go into `Vary`). */
  readonly headers: readonly string[];
  /** Paths under `user` the key reads, e.g. `['id']`; empty when the key has no user part. */
  readonly userPaths: readonly (readonly string[])[];
  /** Whether the key identifies the caller (`{user.*}`, `{headers.authorization}`, `{headers.cookie}`). */
  readonly perPrincipal: boolean;
}

/** Credentials are hashed before they become part of a key, so Redis never holds a token. */
const CREDENTIAL_HEADERS = new Set(['authorization', 'cookie']);

/**
 * Compiles a controller route key: a template over `{params.x}`, `{query.x}`, `{user.x}` and
 * `{headers.x}` (credential headers hashed), or, when omitted, the default
 * `<METHOD>:<path>?<query sorted by name>` (HEAD shares GET's entries).
 */
export function createRequestKeyFactory(template: string | undefined): RequestKeyFactory {
  if (template === undefined) {
    return { build: defaultRequestKey, headers: [], userPaths: [], perPrincipal: false };
  }
  const { paths } = parseKeyTemplate(template);
  for (const path of paths) {
    if (!['params', 'query', 'user', 'headers'].includes(path[0]) || (path[0] === 'headers' && path.length !== 2)) {
      throw new TypeError(
        `"{${path.join('.')}}" is not a request value; use {params.x}, {query.x}, {user.x} or {headers.x} in key template "${template}"`,
      );
    }
  }
  const headers = [...new Set(paths.filter((p) => p[0] === 'headers').map((p) => p[1].toLowerCase()))];
  const userPaths = paths.filter((p) => p[0] === 'user').map((p) => p.slice(1));
  const render = compileKeyTemplate(template.replace(/\{\s*headers\.([^}]+)\}/g, (_, name: string) => `{headers.${name.trim().toLowerCase()}}`));
  // Only the parts the template names are read: on Express 5, reading `query` parses the query
  // string, which a `{params.id}` key never needs.
  const roots = [...new Set(paths.map((p) => p[0]))] as ('params' | 'query' | 'user' | 'headers')[];
  return {
    headers,
    userPaths,
    perPrincipal: userPaths.length > 0 || headers.some((h) => CREDENTIAL_HEADERS.has(h)),
    build(source) {
      const root: Record<string, unknown> = {};
      for (const part of roots) root[part] = part === 'headers' ? pickHeaders(source.headers, headers) : source[part];
      return render(root);
    },
  };
}

/**
 * `<METHOD>:<path>?<query sorted by name>`; `?a=1&b=2` and `?b=2&a=1` give one key. The path is
 * the request target exactly as received (never re-parsed as a URL), so `//host/x` or an
 * absolute-form `http://evil.example/x` can never share the entry of `/x`.
 */
export function defaultRequestKey(source: Pick<RequestKeySource, 'method' | 'url'>): string {
  const method = source.method === 'HEAD' ? 'GET' : source.method;
  const queryAt = source.url.indexOf('?');
  const path = queryAt === -1 ? source.url : source.url.slice(0, queryAt);
  const pairs = queryAt === -1 ? [] : [...new URLSearchParams(source.url.slice(queryAt + 1))];
  if (pairs.length === 0) return `${method}:${path}`;
  // Stable sort by name only: repeated names keep their order (?a=2&a=1 differs from ?a=1&a=2).
  pairs.sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
  const query = pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
  return `${method}:${path}?${query}`;
}

/** The named headers in text form, credentials hashed. */
function pickHeaders(source: RequestKeySource['headers'], names: readonly string[]): Record<string, string | undefined> {
  const picked: Record<string, string | undefined> = {};
  for (const name of names) {
    const value = source[name];
    const text = Array.isArray(value) ? value.join(', ') : value;
    picked[name] = text !== undefined && CREDENTIAL_HEADERS.has(name) ? hashCredential(text) : text;
  }
  return picked;
}

function hashCredential(value: string): string {
  return createHash('sha256').update(value).digest('base64url');
}

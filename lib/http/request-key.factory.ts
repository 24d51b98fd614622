import { createHash } from 'node:crypto';
import { compileKeyTemplate, parseKeyTemplate, type MissingKeyValue } from '../keys/key-template.compiler.js';

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
  /** The `<key>` part for this request. Throws when the request cannot be keyed (run uncached). */
  build(source: RequestKeySource): string;
  /** Lower-case request header names the key reads (they go into `Vary`). */
  readonly headers: readonly string[];
  /** Paths under `user` the key reads, e.g. `['id']`; empty when the key has no user part. */
  readonly userPaths: readonly (readonly string[])[];
  /** Route parameter names the key reads (`{params.id}` → `id`), checked against the route path at bootstrap. */
  readonly paramNames: readonly string[];
  /** Whether the key identifies the caller (`{user.*}`, or a credential header or query parameter, hashed). */
  readonly perPrincipal: boolean;
}

/** How request values become key parts. */
export interface RequestKeyOptions {
  /** Lower-case headers whose values are hashed before they enter a key. */
  readonly credentialHeaders: readonly string[];
  /** Lower-case query parameters whose values are hashed before they enter a key. */
  readonly credentialQueryParams: readonly string[];
  /** What a placeholder that reads `undefined` does. @default 'bypass' */
  readonly missing?: MissingKeyValue;
}

type Root = 'params' | 'query' | 'user' | 'headers';
const ROOTS: readonly string[] = ['params', 'query', 'user', 'headers'];
/** What a platform substitutes for bytes that are not UTF-8: two such values could not be told apart. */
const REPLACEMENT = '\uFFFD';

/**
 * Compiles a controller route key: a template over `{params.x}`, `{query.x}`, `{user.x}` and
 * `{headers.x}` (credentials hashed), or, when omitted, the default
 * `<METHOD>:<path>?<query sorted by name>` (HEAD shares GET's entries).
 */
export function createRequestKeyFactory(template: string | undefined, options: RequestKeyOptions): RequestKeyFactory {
  const credentialParams = new Set(options.credentialQueryParams);
  if (template === undefined) {
    return {
      build: (source) => defaultRequestKey(source, credentialParams),
      headers: [],
      userPaths: [],
      paramNames: [],
      perPrincipal: false,
    };
  }
  const { paths } = parseKeyTemplate(template);
  for (const path of paths) {
    if (!ROOTS.includes(path[0]) || path.length < 2 || (path[0] === 'headers' && path.length !== 2)) {
      throw new TypeError(
        `"{${path.join('.')}}" is not a request value; use {params.x}, {query.x}, {user.x} or {headers.x} in key template "${template}"`,
      );
    }
  }
  const credentialHeaders = new Set(options.credentialHeaders);
  const headers = [...new Set(paths.filter((p) => p[0] === 'headers').map((p) => p[1].toLowerCase()))];
  const hashedQuery = [
    ...new Set(paths.filter((p) => p[0] === 'query' && credentialParams.has(p[1].toLowerCase())).map((p) => p[1])),
  ];
  const userPaths = paths.filter((p) => p[0] === 'user').map((p) => p.slice(1));
  const render = compileKeyTemplate(
    template.replace(/\{\s*headers\.([^}]+)\}/g, (_, name: string) => `{headers.${name.trim().toLowerCase()}}`),
    options.missing,
  );
  // Only the parts the template names are read: on Express 5, reading `query` parses the query
  // string, which a `{params.id}` key never needs.
  const roots = [...new Set(paths.map((p) => p[0]))] as Root[];
  const mayHoldReplacement = template.includes(REPLACEMENT);
  return {
    headers,
    userPaths,
    paramNames: [...new Set(paths.filter((p) => p[0] === 'params').map((p) => p[1]))],
    perPrincipal: userPaths.length > 0 || hashedQuery.length > 0 || headers.some((h) => credentialHeaders.has(h)),
    build(source) {
      const root: Record<string, unknown> = {};
      for (const part of roots) {
        if (part === 'headers') root.headers = pickHeaders(source.headers, headers, credentialHeaders);
        else if (part === 'query' && hashedQuery.length > 0) root.query = hashMembers(source.query, hashedQuery);
        else root[part] = source[part];
      }
      const key = render(root);
      // `%FF` and `%FE` both decode to U+FFFD in params and query: keying them would merge them.
      if (!mayHoldReplacement && key.includes(REPLACEMENT)) {
        throw new TypeError(
          'a request value is not valid UTF-8 (decoded to U+FFFD), so it cannot be keyed without merging requests',
        );
      }
      return key;
    },
  };
}

/**
 * `<METHOD>:<path>?<query sorted by name>`; `?a=1&b=2` and `?b=2&a=1` give one key. The path is
 * the request target exactly as received (never re-parsed as a URL), so `//host/x` or an
 * absolute-form `http://evil.example/x` can never share the entry of `/x`. Query names and
 * values are decoded losslessly: a component that is not valid percent-encoded UTF-8 is kept
 * as received behind a `%~` mark (which no encoded component contains), so `?q=%FF` and
 * `?q=%FE` stay apart. Values of `credentialParams` are replaced by their SHA-256 digest.
 */
export function defaultRequestKey(
  source: Pick<RequestKeySource, 'method' | 'url'>,
  credentialParams: ReadonlySet<string> = new Set(),
): string {
  const method = source.method === 'HEAD' ? 'GET' : source.method;
  const queryAt = source.url.indexOf('?');
  const path = queryAt === -1 ? source.url : source.url.slice(0, queryAt);
  const pairs = queryAt === -1 ? [] : parseQueryLosslessly(source.url.slice(queryAt + 1));
  if (pairs.length === 0) return `${method}:${path}`;
  // Stable sort by name only: repeated names keep their order (?a=2&a=1 differs from ?a=1&a=2).
  pairs.sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
  const query = pairs
    .map(([name, value]) => `${name}=${credentialParams.has(decodedLower(name)) ? hashCredential(value) : value}`)
    .join('&');
  return `${method}:${path}?${query}`;
}

/** Query pairs in a canonical encoding: `[encoded name, encoded value]`, `%~raw` where not decodable. */
function parseQueryLosslessly(query: string): [string, string][] {
  const pairs: [string, string][] = [];
  for (const part of query.split('&')) {
    if (part === '') continue;
    const at = part.indexOf('=');
    const name = at === -1 ? part : part.slice(0, at);
    const value = at === -1 ? '' : part.slice(at + 1);
    pairs.push([canonical(name), canonical(value)]);
  }
  return pairs;
}

function canonical(component: string): string {
  try {
    return encodeURIComponent(decodeURIComponent(component.replace(/\+/g, ' ')));
  } catch {
    // Malformed or not UTF-8 (URIError): kept byte for byte, marked so it meets no decoded text.
    return `%~${component}`;
  }
}

function decodedLower(encoded: string): string {
  return encoded.startsWith('%~') ? encoded : decodeURIComponent(encoded).toLowerCase();
}

/** The named headers in text form, credentials hashed. */
function pickHeaders(
  source: RequestKeySource['headers'],
  names: readonly string[],
  credentials: ReadonlySet<string>,
): Record<string, string | undefined> {
  const picked: Record<string, string | undefined> = {};
  for (const name of names) {
    const value = source[name];
    const text = Array.isArray(value) ? value.join(', ') : value;
    picked[name] = text !== undefined && credentials.has(name) ? hashCredential(text) : text;
  }
  return picked;
}

/** A copy of the query whose named members hold digests instead of secrets. */
function hashMembers(query: unknown, names: readonly string[]): unknown {
  if (query === null || typeof query !== 'object') return query;
  const copy: Record<string, unknown> = { ...(query as Record<string, unknown>) };
  for (const name of names) {
    const value = copy[name];
    if (value !== undefined) copy[name] = hashCredential(typeof value === 'string' ? value : JSON.stringify(value));
  }
  return copy;
}

function hashCredential(value: string): string {
  return createHash('sha256').update(value).digest('base64url');
}

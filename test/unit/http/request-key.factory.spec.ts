import {
  createRequestKeyFactory as compileRequestKey,
  defaultRequestKey,
  type RequestKeySource,
} from '../../../lib/http/request-key.factory.js';
import { DEFAULTS } from '../../../lib/options/redis-cache-options.defaults.js';

const CREDENTIALS = {
  credentialHeaders: DEFAULTS.http.credentialHeaders,
  credentialQueryParams: DEFAULTS.http.credentialQueryParams,
};
const createRequestKeyFactory = (template: string | undefined, missing?: 'bypass' | 'empty') =>
  compileRequestKey(template, { ...CREDENTIALS, missing });

/** A request whose parts count how often they are read, as Express 5's lazy `req.query` would. */
function countingSource(
  parts: Partial<Record<'params' | 'query' | 'user', unknown>>,
  headers: RequestKeySource['headers'] = {},
) {
  const reads = { params: 0, query: 0, user: 0 };
  const source: RequestKeySource = {
    method: 'GET',
    url: '/items/7?page=2',
    get params() {
      reads.params++;
      return parts.params;
    },
    get query() {
      reads.query++;
      return parts.query;
    },
    get user() {
      reads.user++;
      return parts.user;
    },
    headers,
  };
  return { source, reads };
}

describe('createRequestKeyFactory', () => {
  it('reads only the request parts its template names', () => {
    const { source, reads } = countingSource({ params: { id: '7' }, query: { page: '2' }, user: { id: 'u1' } });
    expect(createRequestKeyFactory('item:{params.id}').build(source)).toBe('item:7');
    expect(reads).toEqual({ params: 1, query: 0, user: 0 });
  });

  it('reads each named part once, however often the template names it', () => {
    const { source, reads } = countingSource({ params: { id: '7', v: '2' }, query: { page: '3' } });
    expect(createRequestKeyFactory('item:{params.id}:{params.v}:{query.page}').build(source)).toBe('item:7:2:3');
    expect(reads).toEqual({ params: 1, query: 1, user: 0 });
  });

  it('hashes credential headers and keeps other headers as text', () => {
    const { source } = countingSource({}, { authorization: 'Bearer secret', 'x-tenant': 'acme' });
    const key = createRequestKeyFactory('r:{headers.X-Tenant}:{headers.authorization}').build(source);
    expect(key.startsWith('r:acme:')).toBe(true);
    expect(key).not.toContain('secret');
  });

  it('tells which headers it reads and whether it identifies the caller', () => {
    expect(createRequestKeyFactory('r:{headers.X-Tenant}')).toMatchObject({
      headers: ['x-tenant'],
      perPrincipal: false,
    });
    expect(createRequestKeyFactory('r:{user.id}')).toMatchObject({ userPaths: [['id']], perPrincipal: true });
  });

  it('refuses a placeholder that is not a request part', () => {
    expect(() => createRequestKeyFactory('r:{body.id}')).toThrow(/not a request value/);
  });
});

describe('defaultRequestKey', () => {
  it('sorts the query by name and maps HEAD to GET', () => {
    expect(defaultRequestKey({ method: 'HEAD', url: '/a?b=2&a=1' })).toBe(
      defaultRequestKey({ method: 'GET', url: '/a?a=1&b=2' }),
    );
    expect(defaultRequestKey({ method: 'GET', url: '/a?a=1' })).not.toBe(
      defaultRequestKey({ method: 'GET', url: '/a?a=2' }),
    );
  });
});

describe('request keys never merge callers, never hold secrets', () => {
  const source = (parts: Partial<RequestKeySource>): RequestKeySource => ({
    method: 'GET',
    url: '/x',
    params: {},
    query: {},
    user: undefined,
    headers: {},
    ...parts,
  });

  it('runs a request uncached (throws) when a placeholder reads nothing, unless missing values are allowed', () => {
    expect(() => createRequestKeyFactory('q:{query.pgae}').build(source({ query: { page: '2' } }))).toThrow(
      /query\.pgae/,
    );
    expect(() => createRequestKeyFactory('u:{user.idd}').build(source({ user: { id: 'a' } }))).toThrow(/read nothing/);
    expect(createRequestKeyFactory('q:{query.page}', 'empty').build(source({ query: {} }))).toBe('q:%u');
  });

  it('lists the route parameters a key reads, for the bootstrap check', () => {
    expect(createRequestKeyFactory('p:{params.idd}:{params.v}:{query.x}').paramNames).toEqual(['idd', 'v']);
  });

  it('hashes credential headers and credential query parameters, and marks such keys per-principal', () => {
    const apiKey = createRequestKeyFactory('me:{headers.x-api-key}');
    const key = apiKey.build(source({ headers: { 'x-api-key': 'alice-secret' } }));
    expect(key).not.toContain('alice-secret');
    expect(key).not.toBe(apiKey.build(source({ headers: { 'x-api-key': 'bob-secret' } })));
    expect(apiKey.perPrincipal).toBe(true);
    const token = createRequestKeyFactory('list:{query.access_token}:{query.page}');
    const tokenKey = token.build(source({ query: { access_token: 'tok-a', page: '1' } }));
    expect(tokenKey).not.toContain('tok-a');
    expect(tokenKey).toMatch(/:1$/);
    expect(tokenKey).not.toBe(token.build(source({ query: { access_token: 'tok-b', page: '1' } })));
    expect(token.perPrincipal).toBe(true);
    expect(createRequestKeyFactory('r:{headers.x-tenant}').perPrincipal).toBe(false);
  });

  it('hashes credential query parameters in the default key, whatever their case or encoding', () => {
    for (const url of ['/l?access_token=s3cret&page=1', '/l?page=1&API_KEY=s3cret', '/l?%74oken=s3cret']) {
      const key = defaultRequestKey({ method: 'GET', url }, new Set(DEFAULTS.http.credentialQueryParams));
      expect(key).not.toContain('s3cret');
    }
    const set = new Set(DEFAULTS.http.credentialQueryParams);
    expect(defaultRequestKey({ method: 'GET', url: '/l?token=a' }, set)).not.toBe(
      defaultRequestKey({ method: 'GET', url: '/l?token=b' }, set),
    );
  });

  it('keeps invalid percent-encoding apart in the default key (?q=%FF vs ?q=%FE), and valid encodings canonical', () => {
    const key = (url: string) => defaultRequestKey({ method: 'GET', url });
    expect(key('/s?q=%FF')).not.toBe(key('/s?q=%FE'));
    expect(key('/s?q=%FF')).not.toBe(key('/s?q=%EF%BF%BD'));
    expect(key('/s?q=%E2%82%AC')).toBe(key('/s?q=€'));
    expect(key('/s?q=a+b')).toBe(key('/s?q=a%20b'));
    expect(key('/s?q=%')).not.toBe(key('/s?q=%25'));
  });

  it('refuses a param or query value that a platform decoded to U+FFFD (two such requests would merge)', () => {
    const factory = createRequestKeyFactory('p:{params.id}');
    expect(() => factory.build(source({ params: { id: '\uFFFD' } }))).toThrow(/not valid UTF-8/);
    expect(factory.build(source({ params: { id: 'ok' } }))).toBe('p:ok');
  });
});

import { createRequestKeyFactory, defaultRequestKey, type RequestKeySource } from '../../../lib/keys/request-key.factory.js';

/** A request whose parts count how often they are read, as Express 5's lazy `req.query` would. */
function countingSource(parts: Partial<Record<'params' | 'query' | 'user', unknown>>, headers: RequestKeySource['headers'] = {}) {
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
    expect(createRequestKeyFactory('r:{headers.X-Tenant}')).toMatchObject({ headers: ['x-tenant'], perPrincipal: false });
    expect(createRequestKeyFactory('r:{user.id}')).toMatchObject({ userPaths: [['id']], perPrincipal: true });
  });

  it('refuses a placeholder that is not a request part', () => {
    expect(() => createRequestKeyFactory('r:{body.id}')).toThrow(/not a request value/);
  });
});

describe('defaultRequestKey', () => {
  it('sorts the query by name and maps HEAD to GET', () => {
    expect(defaultRequestKey({ method: 'HEAD', url: '/a?b=2&a=1' })).toBe(defaultRequestKey({ method: 'GET', url: '/a?a=1&b=2' }));
    expect(defaultRequestKey({ method: 'GET', url: '/a?a=1' })).not.toBe(defaultRequestKey({ method: 'GET', url: '/a?a=2' }));
  });
});

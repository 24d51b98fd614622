import { hideUnkeyedHeaders, unkeyedHeadersOf } from '../../../lib/http/unkeyed-headers.js';
import type { HttpRequest } from '../../../lib/http/http-request.access.js';

describe('unkeyed headers', () => {
  const configured = ['host', 'x-forwarded-*', 'x-real-ip'];
  const request = (): HttpRequest => ({
    method: 'GET',
    headers: {
      host: 'evil.example',
      'x-forwarded-for': '6.6.6.6',
      'x-forwarded-proto': 'https',
      'x-real-ip': '7.7.7.7',
      accept: 'a',
    },
    socket: { localAddress: '127.0.0.1', localPort: 3000 },
  });

  it('hides names and prefix matches, pins Host, and puts everything back', () => {
    const req = request();
    const restore = hideUnkeyedHeaders(req, unkeyedHeadersOf(configured, []), undefined);
    expect(req.headers).toEqual({ host: '127.0.0.1:3000', accept: 'a' });
    restore();
    expect(req.headers).toEqual(request().headers);
  });

  it('leaves a header the key reads visible although a prefix rule covers it, and still hides its siblings', () => {
    const req = request();
    hideUnkeyedHeaders(req, unkeyedHeadersOf(configured, ['x-forwarded-proto']), 'api.example');
    expect(req.headers).toEqual({ host: 'api.example', 'x-forwarded-proto': 'https', accept: 'a' });
  });
});

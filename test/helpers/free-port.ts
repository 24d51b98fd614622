import { createServer } from 'node:net';

/**
 * Asks the kernel for a TCP port that is free on 127.0.0.1 right now.
 *
 * The port is released before this resolves, so another process could grab it before the
 * caller binds it. That window is tiny, and `startRedisServer` retries on "Address already in
 * use" when it picked the port itself, so tests do not flake on it.
 *
 * @returns a port number in the kernel's ephemeral range.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    // Never keep the test process alive just because a probe socket is open.
    server.unref();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error(`freePort: unexpected listen address ${String(address)}`));
        return;
      }
      const { port } = address;
      server.close((err) => (err ? reject(err) : resolve(port)));
    });
  });
}

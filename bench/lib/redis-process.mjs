// Starts and stops a private redis-server for the benchmark.
//
// The server listens on 127.0.0.1 only, on a port the kernel hands out, with persistence off.
// It is never the developer's own redis on 6379: we pick a free port and refuse 6379 outright.
// Only the child we spawned is ever signalled, by its own pid.
import { spawn, execFileSync } from 'node:child_process';
import { createConnection, createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

const HOST = '127.0.0.1';

/** Asks the kernel for a TCP port that is free on 127.0.0.1 right now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host: HOST, port: 0, exclusive: true }, () => {
      const { port } = server.address();
      server.close((err) => (err ? reject(err) : resolve(port)));
    });
  });
}

/** Sends one inline PING and resolves true on "+PONG". Never throws. */
function pingOnce(port, timeoutMs = 500) {
  return new Promise((resolve) => {
    const socket = createConnection({ host: HOST, port });
    let buf = '';
    const done = (ok) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('error', () => done(false));
    socket.on('data', (chunk) => {
      buf += chunk.toString('latin1');
      if (buf.includes('\r\n')) done(buf.startsWith('+PONG'));
    });
    socket.once('connect', () => socket.write('PING\r\n'));
  });
}

/** `redis-server --version`, e.g. "7.0.15"; null when the binary is missing. */
export function redisServerVersion(bin = 'redis-server') {
  try {
    const out = execFileSync(bin, ['--version'], { encoding: 'utf8', timeout: 5000 });
    return /v=(\S+)/.exec(out)?.[1] ?? out.trim();
  } catch {
    return null;
  }
}

/**
 * Spawns `redis-server` on a free loopback port and waits until it answers PING.
 *
 * @param {{ bin?: string, readyTimeoutMs?: number, attempts?: number,
 *           onUnexpectedExit?: (message: string) => void }} [options]
 *   onUnexpectedExit: called if the server dies before stop() (e.g. killed from outside)
 * @returns {{ host, port, url, pid, stop(): Promise<void> }}
 */
export async function startRedisServer({
  bin = 'redis-server',
  readyTimeoutMs = 10_000,
  attempts = 5,
  onUnexpectedExit = undefined,
} = {}) {
  let lastError;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const port = await freePort();
    if (port === 6379) continue; // never, ever the default port
    try {
      return await startOn(bin, port, readyTimeoutMs, onUnexpectedExit);
    } catch (err) {
      lastError = err;
      // "Address already in use" races with freePort(): just try another port.
    }
  }
  throw new Error(`could not start ${bin}: ${lastError?.message ?? 'no usable port'}`);
}

async function startOn(bin, port, readyTimeoutMs, onUnexpectedExit) {
  const child = spawn(
    bin,
    ['--port', String(port), '--bind', HOST, '--save', '', '--appendonly', 'no', '--loglevel', 'warning'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const keep = (chunk) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);

  let exited = false;
  let stopping = false;
  let ready = false;
  const exitPromise = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      exited = true;
      if (ready && !stopping) {
        const message =
          `redis-server (pid ${child.pid}, port ${port}) exited unexpectedly: code ${code}, signal ${signal}` +
          (output.trim() ? `\n${output.trim()}` : '');
        if (onUnexpectedExit) onUnexpectedExit(message);
        else console.error(message);
      }
      resolve({ code, signal });
    });
    child.once('error', (err) => {
      exited = true;
      output += `\n${err.message}`;
      resolve({ code: null, signal: null });
    });
  });

  // If this process dies in any way, take our child with it (its pid only).
  const killOnExit = () => {
    if (!exited && child.pid) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  };
  process.once('exit', killOnExit);

  const stop = async () => {
    process.removeListener('exit', killOnExit);
    stopping = true;
    if (exited || !child.pid) return;
    child.kill('SIGTERM');
    const result = await Promise.race([exitPromise, sleep(5000).then(() => 'timeout')]);
    if (result === 'timeout' && !exited) {
      child.kill('SIGKILL');
      await exitPromise;
    }
  };

  const deadline = Date.now() + readyTimeoutMs;
  while (Date.now() < deadline) {
    if (exited) break;
    if (await pingOnce(port)) {
      ready = true;
      return { host: HOST, port, url: `redis://${HOST}:${port}`, pid: child.pid, stop };
    }
    await sleep(50);
  }
  await stop();
  throw new Error(
    `redis-server on port ${port} did not answer PING: ${output.trim().split('\n').slice(-3).join(' | ')}`,
  );
}

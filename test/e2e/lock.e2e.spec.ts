import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { useTestRedis, uniquePrefix } from '../helpers/test-redis.js';
import { startRedisServer } from '../helpers/redis-server.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const dist = pathToFileURL(resolve(root, 'dist/esm/index.js')).href;
const worker = resolve(root, 'test/e2e/fixtures/lock-worker.mjs');

interface WorkerLine {
  event: 'running' | 'done';
  pid: number;
  calls?: number;
  owners?: number[];
}

/** Starts a worker process and collects its JSON lines; `done` resolves at its exit. */
function startWorker(env: Record<string, string>): { child: ChildProcess; lines: WorkerLine[]; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [worker], { cwd: root, env: { ...process.env, DIST: dist, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: WorkerLine[] = [];
  let buffered = '';
  let errors = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const parts = buffered.split('\n');
    buffered = parts.pop()!;
    for (const part of parts) if (part.trim()) lines.push(JSON.parse(part) as WorkerLine);
  });
  child.stderr!.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  const exited = new Promise<number | null>((done) =>
    child.on('exit', (code) => {
      if (code !== 0 && code !== null) process.stderr.write(`lock worker ${child.pid} exited ${code}: ${errors}\n`);
      done(code);
    }),
  );
  return { child, lines, exited };
}

const redis = useTestRedis();

beforeAll(() => {
  if (!existsSync(resolve(root, 'dist/esm/index.js'))) throw new Error('dist/ is missing: run `npm run build` (npm test does it first)');
});

describe('lock: true across processes', () => {
  it('4 processes × 250 concurrent calls on one cold key run the method once in total', async () => {
    const prefix = uniquePrefix('lock');
    const counterKey = `${prefix}:runs`;
    const env = {
      REDIS_URL: redis.url(),
      PREFIX: prefix,
      COUNTER_KEY: counterKey,
      CALLS: '250',
      START_AT: String(Date.now() + 4_000),
      METHOD_MS: '300',
      LOCK_TTL: '10s',
      LOCK_WAIT: '20s',
    };
    const workers = Array.from({ length: 4 }, () => startWorker(env));
    const codes = await Promise.all(workers.map((w) => w.exited));
    expect(codes).toEqual([0, 0, 0, 0]);
    const done = workers.map((w) => w.lines.find((l) => l.event === 'done')!);
    expect(done.map((d) => d.calls)).toEqual([250, 250, 250, 250]);
    // Every caller in every process got the value produced by the one process that ran it.
    const owners = new Set(done.flatMap((d) => d.owners!));
    expect(owners.size).toBe(1);
    const server = redis.server();
    const runs = server ? await server.command('GET', counterKey) : undefined;
    if (server) expect(runs).toBe('1');
    expect(workers.flatMap((w) => w.lines).filter((l) => l.event === 'running')).toHaveLength(1);
  }, 60_000);

  it('a lock holder killed with SIGKILL stalls the others only until the lock expires', async () => {
    const server = await startRedisServer();
    try {
      const prefix = uniquePrefix('lock-kill');
      const counterKey = `${prefix}:runs`;
      const base = { REDIS_URL: server.url, PREFIX: prefix, COUNTER_KEY: counterKey, CALLS: '1', LOCK_TTL: '1s', LOCK_WAIT: '30s' };
      const holder = startWorker({ ...base, START_AT: '0', METHOD_MS: '60000' });
      // Wait until the holder runs the method (it holds the lock), then kill it.
      for (let i = 0; i < 200 && !holder.lines.some((l) => l.event === 'running'); i++) await new Promise((r) => setTimeout(r, 50));
      expect(holder.lines.some((l) => l.event === 'running')).toBe(true);
      holder.child.kill('SIGKILL');
      await holder.exited;
      const startedAt = Date.now();
      const follower = startWorker({ ...base, START_AT: '0', METHOD_MS: '10' });
      expect(await follower.exited).toBe(0);
      const done = follower.lines.find((l) => l.event === 'done')!;
      expect(done.owners).toEqual([done.pid]);
      expect(await server.command('GET', counterKey)).toBe('2');
      // It took over after the 1 s lock expiry, far inside its 30 s wait limit (includes process start).
      expect(Date.now() - startedAt).toBeLessThan(20_000);
    } finally {
      await server.stop();
    }
  }, 60_000);
});

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runInThisContext } from 'node:vm';
import { freePort } from './free-port.js';

/** How long a server may take to answer PING after spawn before we give up. */
const READY_TIMEOUT_MS = 5_000;
/** How long we wait for a signalled process to exit before escalating or failing. */
const EXIT_TIMEOUT_MS = 5_000;
/** Bound for one `redis-cli` invocation, so a paused server cannot hang a test forever. */
const COMMAND_TIMEOUT_MS = 5_000;
/** How much of the server's own log we keep for error messages. */
const OUTPUT_TAIL_CHARS = 4_000;
/** Attempts when we picked the port ourselves and someone else bound it first. */
const PORT_ATTEMPTS = 3;

/** Options for {@link startRedisServer}. */
export interface RedisServerOptions {
  /** Extra `redis-server` arguments appended after the defaults, e.g. `['--maxmemory', '2mb']`. */
  args?: string[];
  /** Port to listen on; a free one is picked when omitted. */
  port?: number;
  /**
   * Config file passed as the first positional argument. `redis-server` only accepts a config
   * file in that position, and sentinel mode requires one (it rewrites it at runtime).
   */
  configFile?: string;
}

/** A `redis-server` process owned by this test file. Every signal goes to the pid we spawned. */
export interface RedisServerHandle {
  /** `redis://127.0.0.1:<port>`, stable across {@link RedisServerHandle.restart}. */
  readonly url: string;
  /** TCP port, stable across {@link RedisServerHandle.restart}. */
  readonly port: number;
  /** Pid of the current process; changes after {@link RedisServerHandle.restart}. */
  readonly pid: number;
  /** Private working directory (`--dir`), kept across restarts, removed by {@link stopAllRedisServers}. */
  readonly dir: string;
  /** True while the spawned process has not exited (a paused process is still running). */
  readonly running: boolean;
  /** Freezes the process with SIGSTOP: the port still accepts TCP connections but nothing answers. */
  pause(): Promise<void>;
  /** Thaws a paused process with SIGCONT; commands queued meanwhile are then answered. */
  resume(): void;
  /** SIGKILL, then waits for the exit: simulates a crash (connections reset, port refuses). */
  kill(): Promise<void>;
  /** Graceful SIGTERM shutdown (no save), waits for the exit. Idempotent; resumes first if paused. */
  stop(): Promise<void>;
  /** Starts a fresh process on the same port, args and dir (stopping the old one first if needed). */
  restart(): Promise<void>;
  /**
   * Runs one command through `redis-cli -p <port>` and returns its trimmed raw stdout.
   * Note that redis-cli prints error replies (`ERR ...`) to stdout with exit code 0, so callers
   * that care must check the text. Rejects if redis-cli cannot connect or exceeds 5 s.
   */
  command(...args: string[]): Promise<string>;
}

/** Servers started by this module instance. Jest gives each test file its own module registry. */
const registry = new Set<ManagedRedisServer>();

/**
 * The real Node `process`. Under jest, `process` (global or imported) is a per-test-file copy
 * whose 'exit' event never fires, so an exit hook registered on it would silently do nothing.
 * Code evaluated in the main context sees the real object (outside jest this is the same one).
 */
const realProcess = runInThisContext('process') as NodeJS.Process;

/** Key on the real `process` object, shared by every module instance in this Node process. */
const EXIT_SET_KEY = Symbol.for('nestjs-readthrough/test-redis-servers');

/**
 * Last-resort cleanup: if a test file forgets `stopAllRedisServers()` or the run aborts, the
 * children must not outlive us. Jest re-evaluates this module per test file, so the set and its
 * single 'exit' listener live on the real `process` object; a listener per file would pile up
 * under --runInBand and trip MaxListenersExceededWarning.
 */
function exitSet(): Set<ManagedRedisServer> {
  const holder = realProcess as unknown as Record<symbol, Set<ManagedRedisServer> | undefined>;
  const existing = holder[EXIT_SET_KEY];
  if (existing) return existing;
  const created = new Set<ManagedRedisServer>();
  holder[EXIT_SET_KEY] = created;
  // Only synchronous work is possible inside an 'exit' listener.
  realProcess.on('exit', () => {
    for (const server of created) server.killSync();
  });
  return created;
}

/**
 * Resolves with `promise`'s value, or with `fallback` after `ms`. The timer is cleared as soon as
 * the promise settles so no stray timer delays jest's exit.
 */
async function within<T, F>(promise: Promise<T>, ms: number, fallback: F): Promise<T | F> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<F>((resolve) => {
    timer = setTimeout(() => resolve(fallback), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function isAlive(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** Raised when a port we did not choose ourselves turned out to be occupied. */
class PortTakenError extends Error {}

/**
 * Connects with a raw socket and sends `PING` plus `INFO server`. Ready means `+PONG` and an
 * INFO reply naming *our* pid: a PONG alone could come from a foreign server that already owns
 * the port while ours is about to die of "Address already in use".
 *
 * @returns the pid that answered, or undefined when nothing usable answered yet.
 */
function probe(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    let buffer = '';
    let settled = false;
    const socket = connect({ host: '127.0.0.1', port });
    const finish = (pid: number | undefined): void => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve(pid);
    };
    socket.setTimeout(250, () => finish(undefined));
    socket.once('error', () => finish(undefined));
    socket.once('close', () => finish(undefined));
    socket.once('connect', () => socket.write('PING\r\nINFO server\r\n'));
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('latin1');
      // `-LOADING` and similar errors mean "not yet"; the next poll will try again.
      if (buffer.startsWith('-')) return finish(undefined);
      if (!buffer.startsWith('+PONG\r\n')) return buffer.length > 6 ? finish(undefined) : undefined;
      const match = /process_id:(\d+)\r\n/.exec(buffer);
      if (match) finish(Number(match[1]));
    });
  });
}

class ManagedRedisServer implements RedisServerHandle {
  readonly url: string;
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private closed: Promise<void> = Promise.resolve();
  private paused = false;
  private output = '';

  constructor(
    readonly port: number,
    readonly dir: string,
    private readonly args: readonly string[],
    private readonly configFile: string | undefined,
  ) {
    this.url = `redis://127.0.0.1:${port}`;
  }

  get pid(): number {
    const pid = this.child?.pid;
    if (pid === undefined) throw new Error(`redis-server on port ${this.port} was never spawned`);
    return pid;
  }

  get running(): boolean {
    return this.child !== undefined && isAlive(this.child);
  }

  /** Spawns the process and resolves once it answers PING on our port with our pid. */
  async launch(): Promise<void> {
    const argv = [
      ...(this.configFile === undefined ? [] : [this.configFile]),
      '--port',
      String(this.port),
      '--bind',
      '127.0.0.1',
      // No persistence: tests must start empty and exits must be instant.
      '--save',
      '',
      '--appendonly',
      'no',
      '--daemonize',
      'no',
      '--dir',
      this.dir,
      ...this.args,
    ];
    // (Re-)register here rather than in startRedisServer so a restart() after
    // stopAllRedisServers() is tracked again and its dir exists again.
    registry.add(this);
    exitSet().add(this);
    mkdirSync(this.dir, { recursive: true });
    this.output = '';
    this.paused = false;
    const child = spawn('redis-server', argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    // 'close' fires after the stdio pipes drained, i.e. after the last log lines arrived.
    this.closed = new Promise((resolve) => child.once('close', () => resolve()));
    const collect = (chunk: Buffer): void => {
      this.output = (this.output + chunk.toString('utf8')).slice(-OUTPUT_TAIL_CHARS);
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    let spawnError: Error | undefined;
    child.once('error', (err) => {
      spawnError = err;
    });
    // Leftover servers must not keep the test process alive (the exit hook kills them), and the
    // stdio pipes are handles of their own, so they need unref'ing too.
    child.unref();
    for (const stream of [child.stdout, child.stderr]) (stream as Socket | null)?.unref();

    const deadline = Date.now() + READY_TIMEOUT_MS;
    try {
      while (Date.now() < deadline) {
        if (spawnError) throw new Error(`could not spawn redis-server: ${spawnError.message}`, { cause: spawnError });
        if (!isAlive(child)) {
          await this.waitClosed();
          if (/address already in use/i.test(this.output)) {
            throw new PortTakenError(`port ${this.port} is already in use`);
          }
          throw new Error(
            `redis-server on port ${this.port} exited during startup ` +
              `(code ${child.exitCode}, signal ${child.signalCode}).\n${this.tail()}`,
          );
        }
        const answeredPid = await probe(this.port);
        if (answeredPid !== undefined && answeredPid === child.pid) return;
        if (answeredPid !== undefined) {
          throw new PortTakenError(`port ${this.port} is served by a foreign Redis (pid ${answeredPid})`);
        }
        await sleep(50);
      }
      throw new Error(
        `redis-server on port ${this.port} did not answer PING within ${READY_TIMEOUT_MS} ms.\n${this.tail()}`,
      );
    } catch (err) {
      await this.kill().catch(() => undefined);
      throw err;
    }
  }

  async pause(): Promise<void> {
    const child = this.requireAlive('pause');
    child.kill('SIGSTOP');
    this.paused = true;
    // SIGSTOP is asynchronous; on Linux we can confirm the stop so a test's next step is not racing it.
    const statPath = `/proc/${child.pid}/stat`;
    if (!existsSync(statPath)) return;
    const deadline = Date.now() + 1_000;
    while (Date.now() < deadline) {
      // The state letter follows the parenthesised command name, which may itself contain spaces.
      const stat = readFileSync(statPath, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      if (state === 'T' || state === 't') return;
      await sleep(5);
    }
    throw new Error(`redis-server pid ${child.pid} did not stop within 1 s of SIGSTOP`);
  }

  resume(): void {
    const child = this.child;
    if (!this.paused || child === undefined || !isAlive(child)) return;
    child.kill('SIGCONT');
    this.paused = false;
  }

  async kill(): Promise<void> {
    const child = this.child;
    // No pid means spawn itself failed (e.g. ENOENT): there is no process and no 'exit' to await.
    if (child === undefined || child.pid === undefined) return;
    if (isAlive(child)) child.kill('SIGKILL');
    this.paused = false;
    if (!(await this.waitExit())) {
      throw new Error(`redis-server pid ${child.pid} did not exit within ${EXIT_TIMEOUT_MS} ms of SIGKILL`);
    }
    await this.waitClosed();
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child === undefined) return;
    if (isAlive(child)) {
      // A stopped process would keep SIGTERM pending forever, so thaw it first.
      this.resume();
      child.kill('SIGTERM');
      if (!(await this.waitExit())) {
        // Redis refuses SIGTERM shutdown in rare states (e.g. a busy script); do not hang the suite.
        await this.kill();
        return;
      }
    }
    await this.waitClosed();
  }

  async restart(): Promise<void> {
    await this.stop();
    // The port is fixed now; if someone else took it, fail loudly rather than move the server.
    await this.launch();
  }

  command(...args: string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(
        'redis-cli',
        ['-h', '127.0.0.1', '-p', String(this.port), ...args],
        { timeout: COMMAND_TIMEOUT_MS },
        (err, stdout, stderr) => {
          if (err) {
            reject(new Error(`redis-cli -p ${this.port} ${args.join(' ')} failed: ${err.message}\n${stderr}${stdout}`));
            return;
          }
          resolve(stdout.trim());
        },
      );
    });
  }

  /** Synchronous SIGKILL for the process 'exit' hook, where awaiting is impossible. */
  killSync(): void {
    if (this.child !== undefined && isAlive(this.child)) this.child.kill('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** The last lines the server logged, for error messages. */
  tail(): string {
    return this.output.trim() === '' ? '(redis-server printed nothing)' : `redis-server output:\n${this.output}`;
  }

  private requireAlive(action: string): ChildProcess {
    const child = this.child;
    if (child === undefined || !isAlive(child)) {
      throw new Error(`cannot ${action} redis-server on port ${this.port}: it is not running`);
    }
    return child;
  }

  /**
   * @returns false when the process did not exit in time. The pending timer also keeps the event
   * loop alive while we wait, which the unref'd child alone would not.
   */
  private waitExit(): Promise<boolean> {
    return within(
      this.exited.then(() => true),
      EXIT_TIMEOUT_MS,
      false,
    );
  }

  private async waitClosed(): Promise<void> {
    await within(this.closed, 1_000, undefined);
    // Pipes of a process that is gone must not linger as open handles in jest.
    this.child?.stdout?.destroy();
    this.child?.stderr?.destroy();
  }
}

/**
 * Starts a private `redis-server` on 127.0.0.1 with no persistence and a fresh temp `--dir`,
 * and resolves once it answers PING. The server is registered so {@link stopAllRedisServers}
 * (and, as a last resort, process exit) ends it.
 *
 * @param options extra args, a fixed port, or a config file (see {@link RedisServerOptions}).
 * @returns a handle to pause, resume, kill, stop, restart or query the server.
 * @throws if the server does not become ready within 5 s; the message includes its log tail.
 */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServerHandle> {
  const args = options.args ?? [];
  const dir = await mkdtemp(join(tmpdir(), 'readthrough-redis-'));
  let lastError: unknown;
  // Only retry port collisions on ports we picked: a caller-chosen port has no alternative.
  const attempts = options.port === undefined ? PORT_ATTEMPTS : 1;
  for (let attempt = 0; attempt < attempts; attempt += 1) {
    const port = options.port ?? (await freePort());
    const server = new ManagedRedisServer(port, dir, args, options.configFile);
    try {
      await server.launch();
      return server;
    } catch (err) {
      registry.delete(server);
      exitSet().delete(server);
      lastError = err;
      if (!(err instanceof PortTakenError)) break;
    }
  }
  await rm(dir, { recursive: true, force: true });
  throw lastError;
}

/**
 * Stops every server started through this module in the current test file (gracefully,
 * escalating to SIGKILL), and removes their temp directories. Call it in `afterAll`.
 */
export async function stopAllRedisServers(): Promise<void> {
  const servers = [...registry];
  registry.clear();
  await Promise.all(
    servers.map(async (server) => {
      try {
        await server.stop();
      } finally {
        exitSet().delete(server);
        await rm(server.dir, { recursive: true, force: true });
      }
    }),
  );
}

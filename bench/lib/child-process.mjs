// Child-process plumbing shared by the benches that run each measurement in a fresh process.
import { execFileSync, spawn } from 'node:child_process';

/** Pins every thread of `pid` to one CPU with taskset; false when that is not possible here. */
export function pin(pid, cpu) {
  try {
    execFileSync('taskset', ['-a', '-p', '-c', String(cpu), String(pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs `node --expose-gc <script> ...args` and resolves the JSON of the last line it printed;
 * rejects on a non-zero exit. A child still running after `timeoutMs` is killed (by its pid).
 */
export function runJsonWorker(script, args, timeoutMs = 4 * 60_000) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`worker ${args.join(' ')} exited ${code}`));
      resolve(JSON.parse(out.trim().split('\n').pop()));
    });
  });
}

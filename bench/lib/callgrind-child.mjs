// A child process under valgrind's callgrind with counting off, for the *-icount.mjs scripts:
// start-up and warm-up run uninstrumented, and counting is switched on for exactly the work
// being measured (callgrind_control), then dumped and read back.
import { execFileSync, fork } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Forks `script args` under `valgrind --tool=callgrind --instr-atstart=no` with an IPC channel.
 * `next()` resolves the child's next message, or `{ type: 'exited' }` once it has exited;
 * `count(measure)` counts the instructions the child runs while `measure()` is pending;
 * `dispose()` removes the dump files.
 */
export function forkUnderCallgrind(script, args, name) {
  const outFile = join(tmpdir(), `icount-${process.pid}-${name}.out`);
  const child = fork(script, args, {
    execPath: 'valgrind',
    execArgv: ['--tool=callgrind', '--instr-atstart=no', `--callgrind-out-file=${outFile}`, process.execPath],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const queue = [];
  let waiting;
  child.on('message', (message) => (waiting ? (waiting(message), (waiting = undefined)) : queue.push(message)));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const next = () =>
    queue.length
      ? Promise.resolve(queue.shift())
      : Promise.race([new Promise((r) => (waiting = r)), exited.then(() => ({ type: 'exited' }))]);
  const pid = String(child.pid);
  /** Counting on, `measure()`, dump, counting off; resolves `{ instructions, result, dump }`. */
  const count = async (measure) => {
    execFileSync('callgrind_control', ['-i', 'on', pid], { stdio: 'ignore' });
    const result = await measure();
    execFileSync('callgrind_control', ['-d', pid], { stdio: 'ignore' });
    execFileSync('callgrind_control', ['-i', 'off', pid], { stdio: 'ignore' });
    const dump = await readFile(`${outFile}.1`, 'utf8');
    return { instructions: Number(/^summary: (\d+)/m.exec(dump)?.[1]), result, dump };
  };
  const dispose = async () => {
    await rm(outFile, { force: true });
    await rm(`${outFile}.1`, { force: true });
  };
  return { child, next, exited, count, dispose };
}

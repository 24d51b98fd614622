// One contender of hit-icount.mjs, alone in its own process (under callgrind, counting off):
//
//   lib/hit-icount-worker.mjs <contender-id> <redis-url> '<json config>'
//
// Sets the contender up, reads the 1,000 keys until every read is a hit (the first pass writes
// them through the contender's own API), runs `warmupOps` unreported hits, then tells the
// parent { type: 'warm' } and waits. On { type: 'measure' } it runs exactly `ops` hits at
// `concurrency` (the parent counts instructions meanwhile) and answers { type: 'measured' };
// on { type: 'close' } it closes the contender and exits. Errors go to the parent as
// { type: 'error', error } and the exit code 1.
import 'reflect-metadata';
import { findContender } from './hit-contenders.mjs';
import { measure } from './runner.mjs';
import { KEY_COUNT } from './workload.mjs';

const [id, url, configJson] = process.argv.slice(2);
const { warmupOps, ops, concurrency } = JSON.parse(configJson);

const commands = [];
let waiting;
process.on('message', (m) => (waiting ? (waiting(m), (waiting = undefined)) : commands.push(m)));
const nextCommand = () => (commands.length ? Promise.resolve(commands.shift()) : new Promise((r) => (waiting = r)));

async function main() {
  const { hostname: host, port } = new URL(url);
  const handle = await (await findContender(id)).setup({ url, host, port: Number(port) });
  try {
    for (let pass = 0; pass < 2; pass++) for (let k = 0; k < KEY_COUNT; k++) await handle.get(k);
    const latencies = new Float64Array(Math.max(warmupOps, ops));
    const filled = handle.misses();
    await measure(handle.get, { ops: warmupOps, concurrency, latencies });
    process.send({ type: 'warm' });
    if ((await nextCommand()).type !== 'measure') return;
    await measure(handle.get, { ops, concurrency, latencies });
    const misses = handle.misses() - filled;
    if (misses !== 0) throw new Error(`${id}: ${misses} of the measured reads were misses`);
    process.send({ type: 'measured' });
    await nextCommand();
  } finally {
    await handle.close();
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    process.send({ type: 'error', error: String(error?.stack ?? error) });
    process.exit(1);
  },
);

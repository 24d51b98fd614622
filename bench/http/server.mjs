// One contender's HTTP server, run as a child process of http-hit.bench.mjs so that its CPU
// time can be measured alone:
//
//   node --expose-gc http/server.mjs <contender> <redis-url>
//
// Protocol (IPC messages):
//   child  -> parent  { type: 'ready', port, pid, nest }
//   parent -> child   { type: 'start' }   full GC, then the CPU and handler-run baselines
//   child  -> parent  { type: 'started' }
//   parent -> child   { type: 'stop' }
//   child  -> parent  { type: 'stopped', userUs, systemUs, handlerRuns, rss }
//   parent -> child   { type: 'close' }   app.close(), then exit
// The server listens on 127.0.0.1 only, on a port the kernel hands out. If the parent goes away
// (IPC channel closed), the child exits on its own.
import 'reflect-metadata';
import { CONTENDERS } from './apps.mjs';

const [name, url] = process.argv.slice(2);
const contender = CONTENDERS[name];
if (!contender || typeof process.send !== 'function') {
  console.error(
    `usage (from http-hit.bench.mjs): node http/server.mjs <${Object.keys(CONTENDERS).join('|')}> <redis-url>`,
  );
  process.exit(2);
}

const { app, counters, nest } = await contender.build({ url });
await app.listen(0, '127.0.0.1');
await contender.ready?.(app);
const { port } = app.getHttpServer().address();

let cpuBase = null;
let runsBase = 0;
let closing = false;

process.on('message', async (message) => {
  switch (message?.type) {
    case 'start':
      if (typeof globalThis.gc === 'function') globalThis.gc();
      runsBase = counters.handlerRuns;
      cpuBase = process.cpuUsage();
      process.send({ type: 'started' });
      break;
    case 'stop': {
      const delta = process.cpuUsage(cpuBase);
      process.send({
        type: 'stopped',
        userUs: delta.user,
        systemUs: delta.system,
        handlerRuns: counters.handlerRuns - runsBase,
        rss: process.memoryUsage.rss(),
      });
      break;
    }
    case 'close':
      await close(0);
      break;
    default:
      break;
  }
});
process.on('disconnect', () => close(0));

async function close(code) {
  if (closing) return;
  closing = true;
  const force = setTimeout(() => process.exit(code), 5000);
  force.unref();
  try {
    await app.close();
  } catch (err) {
    console.error(`[${name}] close: ${err?.message ?? err}`);
  }
  process.exit(code);
}

process.send({ type: 'ready', port, pid: process.pid, nest });

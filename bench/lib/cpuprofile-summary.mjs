// Summarises V8 .cpuprofile files (from `node --cpu-prof`, or from lib/hit-worker.mjs with
// BENCH_CPU_PROFILE_DIR): self time by function and by where the code lives.
//
//   node lib/cpuprofile-summary.mjs [--ops N] [--top 25] <file.cpuprofile>...
//
// --ops N: the number of hits the profile covers (the worker profiles exactly one measured run),
// so that times are also given in µs per hit. Several files are added up (same --ops each).
import { readFile } from 'node:fs/promises';

const args = process.argv.slice(2);
let ops = 0;
let top = 25;
const files = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--ops') ops = Number(args[++i]);
  else if (args[i] === '--top') top = Number(args[++i]);
  else files.push(args[i]);
}
if (files.length === 0) {
  console.error('usage: node lib/cpuprofile-summary.mjs [--ops N] [--top 25] <file.cpuprofile>...');
  process.exit(2);
}

/** Where a frame's code lives, from its script URL. */
function area(url, functionName) {
  if (!url) {
    if (functionName === '(garbage collector)') return 'GC';
    if (functionName === '(idle)') return 'idle';
    if (functionName === '(program)') return 'V8/native (program)';
    return 'native';
  }
  if (url.startsWith('node:')) return 'node internals';
  if (/\/dist\/(esm|cjs)\//.test(url) && !url.includes('node_modules')) return 'nestjs-readthrough dist/';
  if (url.includes('/@redis/client/') || url.includes('/node_modules/redis/')) return 'node-redis (@redis/client)';
  if (url.includes('/@nestjs/')) return '@nestjs/*';
  if (url.includes('/bench/')) return 'bench harness';
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  return m ? m[1] : 'other';
}

function shortUrl(url) {
  if (!url) return '';
  const dist = /\/dist\/(?:esm|cjs)\/(.*)$/.exec(url);
  if (dist && !url.includes('node_modules')) return `dist/${dist[1]}`;
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) return url.slice(nm + 'node_modules/'.length);
  return url.replace(/^file:\/\//, '');
}

const byFunction = new Map();
const byArea = new Map();
let totalUs = 0;
for (const file of files) {
  const profile = JSON.parse(await readFile(file, 'utf8'));
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  // timeDeltas[i] is the time from sample i-1 to sample i; attribute it to sample i's node.
  const selfUs = new Map();
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = profile.timeDeltas[i] ?? 0;
    selfUs.set(profile.samples[i], (selfUs.get(profile.samples[i]) ?? 0) + dt);
  }
  for (const [id, us] of selfUs) {
    const { callFrame } = nodes.get(id);
    const fn = callFrame.functionName || '(anonymous)';
    const where = area(callFrame.url, fn);
    const key = `${fn} ${shortUrl(callFrame.url)}${callFrame.url ? `:${callFrame.lineNumber + 1}` : ''}`;
    const entry = byFunction.get(key) ?? { key, where, us: 0 };
    entry.us += us;
    byFunction.set(key, entry);
    byArea.set(where, (byArea.get(where) ?? 0) + us);
    totalUs += us;
  }
}

const idle = byArea.get('idle') ?? 0;
const busy = totalUs - idle;
const perHit = (us) => (ops > 0 ? `${(us / (ops * files.length)).toFixed(2).padStart(6)} µs/hit` : '');
const pct = (us) => `${((100 * us) / busy).toFixed(1).padStart(5)}%`;
console.log(
  `${files.length} profile(s), ${(totalUs / 1000).toFixed(0)} ms sampled, ${(idle / 1000).toFixed(0)} ms idle; ` +
    `percentages are of the ${(busy / 1000).toFixed(0)} ms not idle${ops ? `; ${ops} hits per profile` : ''}\n`,
);
console.log('Self time by area:');
for (const [where, us] of [...byArea].filter(([w]) => w !== 'idle').sort((a, b) => b[1] - a[1])) {
  console.log(`  ${pct(us)}  ${perHit(us)}  ${where}`);
}
console.log(`\nTop ${top} functions by self time:`);
for (const e of [...byFunction.values()]
  .filter((e) => e.where !== 'idle')
  .sort((a, b) => b.us - a.us)
  .slice(0, top)) {
  console.log(`  ${pct(e.us)}  ${perHit(e.us)}  [${e.where}] ${e.key}`);
}

// Paired ratios between two contenders of a hit-path results file, round by round:
//
//   node lib/paired-ratios.mjs results/<name>.json <contender-id> <baseline-id>
//
// For each concurrency level: the contender's ops/s ÷ the baseline's ops/s in the SAME round
// (and the same for CPU/hit), every round, then the median and the range. The hit-path bench
// pairs everyone with the ceiling; this pairs any two (e.g. an L1 tier with bentocache's).
import { readFile } from 'node:fs/promises';
import { median } from './stats.mjs';

const [file, id, baseId] = process.argv.slice(2);
if (!file || !id || !baseId) {
  console.error('usage: node lib/paired-ratios.mjs <results.json> <contender-id> <baseline-id>');
  process.exit(2);
}
const { runs } = JSON.parse(await readFile(file, 'utf8'));
for (const which of [id, baseId]) {
  if (!runs[which]) throw new Error(`${file} has no runs of '${which}' (has: ${Object.keys(runs).join(', ')})`);
}
const levels = runs[id][0].points.map((p) => p.concurrency);
const f2 = (x) => x.toFixed(2);
for (const c of levels) {
  const ops = [];
  const cpu = [];
  runs[id].forEach((run, round) => {
    const base = runs[baseId][round];
    const a = run?.points?.find((p) => p.concurrency === c);
    const b = base?.points?.find((p) => p.concurrency === c);
    if (!a || !b) return; // a failed child in that round: no pair
    ops.push(a.opsPerSec / b.opsPerSec);
    cpu.push(a.cpuUsPerOp / b.cpuUsPerOp);
  });
  console.log(
    `c=${c}: ${id} ÷ ${baseId}, ops/s median ${f2(median(ops))} (${f2(Math.min(...ops))}–${f2(Math.max(...ops))}), ` +
      `per round ${ops.map(f2).join(', ')}; CPU/hit median ${f2(median(cpu))} (${f2(Math.min(...cpu))}–${f2(Math.max(...cpu))})`,
  );
}

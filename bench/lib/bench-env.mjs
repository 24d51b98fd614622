// Small helpers every bench script shares: numeric settings from the environment, Redis INFO
// parsing, and which library revision is being measured.
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** A positive integer from environment variable `name`, or `fallback` when unset. */
export function intFromEnv(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got ${raw}`);
  return n;
}

/** `INFO` text as an object of its `field:value` lines. */
export function parseInfo(text) {
  const out = {};
  for (const line of text.split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

/** The measured library's git revision, marked when lib/ has uncommitted changes. */
export function libraryRevision() {
  try {
    const head = execFileSync('git', ['-C', repoRoot, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['-C', repoRoot, 'status', '--porcelain', '--', 'lib'], {
      encoding: 'utf8',
    }).trim();
    return dirty ? `${head} + uncommitted lib/ changes` : head;
  } catch (error) {
    // Outside a git checkout (e.g. a packed copy) the revision is simply unknown.
    return `unknown (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`;
  }
}

// The contenders of the hit-path bench, found by looking: every contenders/*.mjs whose default
// export is a contender object (or an array of them) takes part. Adding a contender is adding
// one file; nothing else needs to know its name.
//
// A contender is a plain object:
//   id          short name used on the command line and in BENCH_ONLY, e.g. 'readthrough'
//   name        what the tables call it
//   order       position in the tables (ascending); the ceiling is 0
//   note        one line for the results: how it reads
//   ceiling     true for exactly one contender: the denominator of every ratio
//   optional    true: runs only when BENCH_ONLY names it
//   localCache  true: hits may be answered in-process, so < 1 redis command per hit is expected
//   unavailable async () => null, or why it cannot run here (e.g. the library is not built)
//   setup       async ({ url, host, port }) => ({ get(id), misses(), close() })
//               get(id) reads logical key `id` through the contender's read-through API; on a
//               miss its factory returns makeValue(id) and counts one in misses(). setup writes
//               nothing: the bench's prepare step fills the keys through get() itself.
import { readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const contendersDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'contenders');

/** Every contender, sorted by `order` then `id`. Throws on a malformed or duplicate entry. */
export async function loadContenders() {
  const files = (await readdir(contendersDir)).filter((f) => f.endsWith('.mjs')).sort();
  const all = [];
  for (const file of files) {
    const mod = await import(pathToFileURL(join(contendersDir, file)).href);
    if (mod.default === undefined) continue; // a helper module, not a contender
    for (const contender of [].concat(mod.default)) {
      for (const field of ['id', 'name']) {
        if (typeof contender?.[field] !== 'string' || !contender[field]) {
          throw new Error(`contenders/${file}: a contender without a string \`${field}\``);
        }
      }
      if (typeof contender.setup !== 'function') throw new Error(`contenders/${file}: ${contender.id} has no setup()`);
      if (all.some((c) => c.id === contender.id)) throw new Error(`contenders/${file}: duplicate id ${contender.id}`);
      all.push({ order: 100, ...contender, file });
    }
  }
  const ceilings = all.filter((c) => c.ceiling);
  if (ceilings.length !== 1) throw new Error(`expected exactly one ceiling contender, found ${ceilings.length}`);
  return all.sort((a, b) => a.order - b.order || a.id.localeCompare(b.id));
}

/** The contender with this id; throws with the list of known ids when there is none. */
export async function findContender(id) {
  const all = await loadContenders();
  const found = all.find((c) => c.id === id);
  if (!found) throw new Error(`no contender '${id}' (known: ${all.map((c) => c.id).join(', ')})`);
  return found;
}

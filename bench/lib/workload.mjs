// The logical data set every contender reads: 1,000 keys, each a ~1 KB JSON object.

export const KEY_COUNT = 1000;
export const TTL_MS = 10 * 60 * 1000; // '10m'
export const TARGET_JSON_BYTES = 1024;

const WORDS = (
  'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore ' +
  'et dolore magna aliqua ut enim ad minim veniam quis nostrud exercitation ullamco laboris nisi'
).split(' ');

function words(seed, count) {
  const out = [];
  for (let i = 0; i < count; i++) out.push(WORDS[(seed * 7 + i * 13) % WORDS.length]);
  return out.join(' ');
}

function baseValue(id) {
  return {
    id,
    sku: `SKU-${String(id).padStart(6, '0')}`,
    name: `Item ${id} ${words(id, 3)}`,
    price: { amount: 1000 + ((id * 37) % 9000), currency: 'EUR' },
    inStock: id % 3 !== 0,
    stock: (id * 17) % 250,
    rating: ((id * 31) % 50) / 10,
    tags: ['bench', `group-${id % 10}`, `shard-${id % 4}`, words(id + 1, 1)],
    dimensions: { widthMm: 100 + (id % 50), heightMm: 200 + (id % 70), depthMm: 30 + (id % 20), weightG: 500 + id },
    supplier: { id: `sup-${id % 25}`, name: `Supplier ${id % 25}`, country: ['DE', 'FR', 'NL', 'PL'][id % 4] },
    createdAt: '2025-01-01T00:00:00.000Z',
    updatedAt: '2025-06-01T12:34:56.000Z',
    variants: [
      { code: `${id}-S`, color: 'red', size: 'S' },
      { code: `${id}-M`, color: 'blue', size: 'M' },
      { code: `${id}-L`, color: 'green', size: 'L' },
    ],
    description: '',
  };
}

/**
 * The value stored under logical key `id`: a plain object whose JSON is exactly
 * TARGET_JSON_BYTES bytes (the description is padded to get there). Pure and deterministic,
 * so a reader can check that what came back is what was written.
 */
export function makeValue(id) {
  const value = baseValue(id);
  const bare = JSON.stringify(value).length;
  const room = Math.max(0, TARGET_JSON_BYTES - bare);
  let text = words(id + 2, 200);
  text = text.length >= room ? text.slice(0, room) : text.padEnd(room, '.');
  value.description = text;
  return value;
}

/** Deep-equality check through JSON (values are JSON-safe by construction). */
export function sameValue(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}
